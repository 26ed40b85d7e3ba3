{{lead}}#![allow(unused_imports, unused_variables, unused_mut, dead_code, unused_macros, unreachable_code, redundant_semicolons)] #[no_mangle] pub extern "C" fn kayton_cell_run(__kayton_ctx: *mut crate::kayton_api::KaytonContext) -> i32 { unsafe { crate::kayton_api::catch_raw(__kayton_ctx, |__ctx: &mut crate::kayton_api::KaytonContext| { let __r: ::std::result::Result<(), ::std::boxed::Box<dyn ::std::error::Error>> = (|| { macro_rules! kprintln { ($($t:tt)*) => { let __s = ::std::format!("{}\n", ::std::format_args!($($t)*)); let _ = __ctx.report(crate::kayton_api::Level::Stdout, &__s); } } macro_rules! keep { ($n:expr, $v:expr) => { crate::kayton_api::keep(__ctx, $n, $v)? } } macro_rules! get { ($t:ty, $n:expr) => { crate::kayton_api::get::<$t>(__ctx, $n)? } } {{#own_line}}
{{/own_line}}{{body}}
; Ok(()) })(); __r.map_err(|e| crate::kayton_api::Error::Message(e.to_string())) }) } }
// The lines above: a cell compiled by rimport_cell_compile. The cell's
// text keeps its lines: blank lines put the entry point's opening on the
// line before the cell's first one (the `%%` line of a cell file), so
// rustc's line and column numbers are the user's. Nothing may come before
// that opening: this comment and the items below come after the cell.
// `kprintln!` writes to the cell's output, `keep!`/`get!` keep values in
// the VM (kayton_api), `?` works on any error.
{{#api_module}}
// No plugin is loaded yet: the kayton_api crate is compiled in as a module.
#[path = "{{rust:api_lib}}"] mod kayton_api;
{{/api_module}}
{{^api_module}}
extern crate kayton_api;
{{/api_module}}
{{#plugins}}
extern crate {{plugin}};
{{/plugins}}
// The names every cell of the session has bound.
{{#scope}}
use {{path}}{{#alias}} as {{name}}{{/alias}};
{{/scope}}
// The same build metadata as the plugins carry.
#[no_mangle] pub extern "C" fn kayton_cell_manifest() -> *const ::std::os::raw::c_char { concat!("{{rust:manifest}}", "\0").as_ptr() as *const _ }
