{{lead}}use super::*; pub(crate) fn __kayton_cell_run(__kayton_ctx: *mut crate::kayton_api::KaytonContext) -> i32 { unsafe { crate::kayton_api::run_cell(__kayton_ctx, &mut |__ctx: &mut crate::kayton_api::KaytonContext| -> ::std::result::Result<(), ::std::boxed::Box<dyn ::std::error::Error>> { macro_rules! kprintln { ($($t:tt)*) => { let __s = ::std::format!("{}\n", ::std::format_args!($($t)*)); let _ = __ctx.report(crate::kayton_api::Level::Stdout, &__s); } } macro_rules! keep { ($n:expr, $v:expr) => { crate::kayton_api::keep(__ctx, $n, $v)? } } macro_rules! get { ($t:ty, $n:expr) => { crate::kayton_api::get::<$t>(__ctx, $n)? } } {{#own_line}}
{{/own_line}}{{statements}}
; Ok(()) }) } }
// The lines above: the statements of a cell compiled by rimport_cell_compile,
// the body of its entry point, a module of the cell crate (cell/lib.rs.tpl)
// that sees its items and names (`use super::*`). They keep their lines:
// blank lines put the entry point's opening on the line before the cell's
// first one (the `%%` line of a cell file), so rustc's line and column
// numbers are the user's; its items are blanked here. `kprintln!` writes to
// the cell's output, `keep!`/`get!` keep values in the VM (kayton_api), `?`
// works on any error.
