{{lead}}use super::*; pub(crate) fn __kayton_cell_run(__kayton_ctx: *mut crate::kayton_api::KaytonContext) -> i32 { unsafe { crate::kayton_api::run_cell(__kayton_ctx, &mut |__ctx: &mut crate::kayton_api::KaytonContext| -> ::std::result::Result<(), ::std::boxed::Box<dyn ::std::error::Error>> { macro_rules! kprintln { ($($t:tt)*) => { { let __s = ::std::format!("{}\n", ::std::format_args!($($t)*)); let _ = __ctx.report(crate::kayton_api::Level::Stdout, &__s); } } } macro_rules! keep { ($n:expr, $v:expr) => { crate::kayton_api::keep(__ctx, $n, $v)? } } macro_rules! get { ($t:ty, $n:expr) => { crate::kayton_api::get::<$t>(__ctx, $n)? } } macro_rules! __kayton_tail { ($($t:tt)*) => { let __kayton_last = { $($t)* }; { use crate::kayton_api::show::{ShowUnit as _, ShowDebug as _, ShowDisplay as _, ShowAny as _}; if let Some(__s) = (&&&&crate::kayton_api::show::Wrap(&__kayton_last)).kayton_show() { let _ = __ctx.report(crate::kayton_api::Level::Stdout, &__s); } } } } {{#tail_first}}__kayton_tail! { {{/tail_first}}{{#own_line}}
{{/own_line}}{{head}}{{#tail_later}}__kayton_tail! { {{/tail_later}}{{tail}}{{#tail_first}} }{{/tail_first}}{{#tail_later}} }{{/tail_later}}
; Ok(()) }) } }
// The lines above: the statements of a cell compiled by rimport_cell_compile,
// the body of its entry point, a module of the cell crate (cell/lib.rs.tpl)
// that sees its items and names (`use super::*`). They keep their lines:
// blank lines put the entry point's opening on the line before the cell's
// first one (the `%%` line of a cell file), so rustc's line and column
// numbers are the user's; its items are blanked here. `kprintln!` writes to
// the cell's output, `keep!`/`get!` keep values in the VM (kayton_api), `?`
// works on any error. The statements after the last `;` (the cell's last
// expression, when it has one) go through `__kayton_tail!`, which shows
// their value in the cell's output as a notebook does (kayton_api::show):
// nothing for `()`, else Debug, else Display, else the type's name.
