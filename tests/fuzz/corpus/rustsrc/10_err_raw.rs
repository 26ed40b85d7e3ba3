let r = r##"abc"#;
/* open
