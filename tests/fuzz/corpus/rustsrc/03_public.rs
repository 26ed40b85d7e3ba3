#[derive(Debug)]
struct P { x: f64, y: f64 }
struct P2 {
    /// the x
    x: f64,
    #[allow(dead_code)]
    pub(crate) y: Vec<(u8, u8)>,
    z: std::collections::HashMap<String, i32>,
}
struct T(f64, String);
struct T2<T>(T, (u8, u8)) where T: Copy;
impl P {
    fn new() -> Self { P { x: 0.0, y: 0.0 } }
    const ZERO: f64 = 0.0;
    pub fn already(&self) {}
}
impl<T> Tr for Vec<T> where for<'a> &'a T: Copy { fn t(&self) {} }
impl<F> Q<F> where F: for<'a> Fn(&'a u8) { fn q(&self) {} }
trait Tr { fn t(&self); }
enum E { A(u8), B { x: u8 } }
mod m {
    //! inner doc
    fn a() {}
    struct S { f: u8 }
    mod deeper { fn b() {} }
}
macro_rules! mac { () => {} }
#[macro_export]
macro_rules! mac2 { () => {} }
use std::fmt; const C: u8 = 1; static S: u8 = 2;
type A = u8;
union U { a: u32, b: f32 }
extern "C" { fn abs(x: i32) -> i32; static errno: i32; }
extern crate core;
const _: () = ();
/// doc with "quote"## and hashes
fn documented() {}
/** block doc */
fn bdoc() {}
pub fn p() {}
