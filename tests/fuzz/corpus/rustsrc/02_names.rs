fn f() {}
struct S;
enum E { A }
union U { a: u32 }
trait T {}
type Ty = u8;
const C: u8 = 1;
const _: () = ();
static X: u8 = 1;
static mut Y: u8 = 1;
mod m {}
macro_rules! mac { () => {} }
extern crate alloc;
extern crate core as kore;
extern crate std as _;
extern "C" { fn ext_f(); static EXT_S: i32; }
use a::b;
use a::b as c;
use a::{b2, c2::{d, e as f2}, self};
use ::std::fmt;
use x as _;
use std::io::*;
use ::core::{fmt::*, self as k};
use r#type::r#match;
impl S {}
impl T for S {}
fn f() {}
