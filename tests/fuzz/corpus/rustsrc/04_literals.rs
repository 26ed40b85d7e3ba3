let s = r#"a "quoted" } { str"#;
let b = br##"}"#"##; let c = cr"{"; let d = c"x\"";
fn f<'a>(x: &'a str) -> char { '}' }
let e = '\''; let g = b'\\'; let h = '\u{1F600}'; let i = 'é';
let n = 1..2; let m = 1_000u64 + 0x1F + 1e-3 as u64; let t = x.0.1;
/* outer /* nested { */ still } */
'outer: loop { break 'outer; }
