// a comment before
let x = 1;
#[derive(Debug, Clone)]
/// A point.
struct P { x: f64, y: f64 }
let p = P { x: 1.0, y: 2.0 }; fn g() -> i32 { 3 }
impl P {
    fn norm(&self) -> f64 { (self.x * self.x + self.y * self.y).sqrt() }
}
kprintln!("{}", p.norm());
if x > 0 { 1 } else { 2 };
const { 3 };
unsafe { g() };
let c = async move {};
const N: usize = 3;
static mut S: i32 = 0;
let f: fn(i32) -> i32 = |a| a;
match x { 1 => {}, _ => {} }
use std::fmt;
macro_rules! m { ($x:expr) => { $x } }
m! { 3 }
let s = r#"a "quoted" } str"#;
fn f<'a>(x: &'a str) -> char { '}' }
/* block /* nested { */ */
pub(crate) fn h() {}
#![allow(unused)]
extern crate core;
extern "C" { fn abs(x: i32) -> i32; }
union U { a: u32, b: f32 }
let union = 3;
static || 3;
async fn af() {}
auto trait A {}
type T = u8;
mod m1;
mod m2 { fn a() {} }
struct Q(i32);
trait Tr { fn t(&self); }
impl Tr for P { fn t(&self) {} }
unsafe impl Send for Q {}
x
