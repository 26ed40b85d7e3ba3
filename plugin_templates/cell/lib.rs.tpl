{{lead}}{{items}}
// The lines above: the items of a cell compiled by rimport_cell_compile (its
// fns, structs, impls, …, made public), each on the line the user wrote it
// on; its statements are blanked here and stand on their own lines in the
// body module below (cell/body.rs.tpl). Nothing may come before the items:
// this comment and everything below come after them.
{{#cell_api}}
// No plugin is loaded yet: kayton_api as rimport compiles it for cells
// (kayton_cellapi_<key>, once per toolchain and rimport version; cells that
// come after a plugin use the plugins' copy).
extern crate {{cell_api_crate}} as kayton_api;
{{/cell_api}}
{{^cell_api}}
extern crate kayton_api;
{{/cell_api}}
{{#plugins}}
extern crate {{plugin}};
{{/plugins}}
// Earlier cells whose items this cell uses.
{{#cells}}
extern crate {{cell}};
{{/cells}}
// The names every cell of the session has bound (imports, earlier cells'
// items) that this cell does not define itself.
{{#scope}}
use {{path}}{{#alias}} as {{name}}{{/alias}};
{{/scope}}
#[path = "{{rust:body}}"] mod __kayton_cell_body;
#[no_mangle] pub extern "C" fn kayton_cell_run(ctx: *mut crate::kayton_api::KaytonContext) -> i32 { __kayton_cell_body::__kayton_cell_run(ctx) }
// The same build metadata as the plugins carry.
#[no_mangle] pub extern "C" fn kayton_cell_manifest() -> *const ::std::os::raw::c_char { concat!("{{rust:manifest}}", "\0").as_ptr() as *const _ }
