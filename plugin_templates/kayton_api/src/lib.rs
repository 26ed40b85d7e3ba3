//! The Kayton VM ABI for rimport plugins and Kayton cells: `#[repr(C)]`
//! mirrors of `include/kayton_api.h` and safe wrappers around the host's
//! functions.
//!
//! The host (a C program) owns a [`KaytonContext`] whose `api` points to a
//! [`KaytonApi`] table of function pointers. Both start with `size` and
//! `abi_version`: every wrapper checks that the ABI version is
//! [`ABI_VERSION`] and that the host's table is long enough to hold the
//! function (an older host has a shorter table) before calling it.
//!
//! Built as a `dylib` shared by every plugin and cell of a process. Keeps to
//! Rust 1.63 (the windows-gnu toolchain rimport is checked with): no
//! `offset_of!`, no `let … else`, no `std::ffi::c_char`.
#![warn(unsafe_op_in_unsafe_fn)]
// `kayton_backtrace` is set by rimport (`--cfg`) when the toolchain has
// std::backtrace (Rust 1.65 and later); older compilers know neither lint.
#![allow(unknown_lints)]
#![allow(unexpected_cfgs)]

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::ffi::c_void;
use std::fmt;
use std::mem::{size_of, MaybeUninit};
use std::os::raw::c_char;
use std::panic::{self, AssertUnwindSafe};
use std::ptr::{self, addr_of};
use std::sync::Once;

/// The ABI version this crate speaks (`KAYTON_API_ABI_VERSION`).
pub const ABI_VERSION: u32 = 1;

/// Return codes (`KAYTON_OK`, `KAYTON_E*`).
pub const OK: i32 = 0;
pub const EINVAL: i32 = -1;
pub const ENOTFOUND: i32 = -2;
pub const EKIND: i32 = -3;
pub const ENOMEM: i32 = -4;

/// A VM handle: a counted reference to a host-owned value; 0 is no handle.
pub type HKayRef = u64;

/// A kind of value (a Rust type registered with the host); 0 is invalid.
#[repr(transparent)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Kind(pub u32);

impl Kind {
    pub const INVALID: Kind = Kind(0);
}

/// Frees a value of some kind (`kayton_drop_fn`). Must not unwind.
pub type DropFn = unsafe extern "C" fn(ptr: *mut c_void);

/// The shape `Dynamic`: an opaque VM handle, passed by value.
#[repr(transparent)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Dynamic(pub HKayRef);

/// Report levels (`KAYTON_REPORT_*`).
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Stdout = 0,
    Stderr = 1,
    Info = 2,
    Warning = 3,
    Error = 4,
}

/// The host's function table (`KaytonApi`). Only ever read through raw
/// pointers: an older host's table may be shorter than this struct.
#[repr(C)]
pub struct KaytonApi {
    pub size: u32,
    pub abi_version: u32,
    pub register_kind: Option<
        unsafe extern "C" fn(
            *mut KaytonContext,
            *const c_char,
            usize,
            Option<DropFn>,
            *mut Kind,
        ) -> i32,
    >,
    pub set_global_ptr: Option<
        unsafe extern "C" fn(*mut KaytonContext, *const c_char, usize, Kind, *mut c_void) -> i32,
    >,
    pub get_global_ptr: Option<
        unsafe extern "C" fn(
            *mut KaytonContext,
            *const c_char,
            usize,
            Kind,
            *mut *mut c_void,
        ) -> i32,
    >,
    pub new_handle:
        Option<unsafe extern "C" fn(*mut KaytonContext, Kind, *mut c_void, *mut HKayRef) -> i32>,
    pub get_handle:
        Option<unsafe extern "C" fn(*mut KaytonContext, HKayRef, Kind, *mut *mut c_void) -> i32>,
    pub retain_handle: Option<unsafe extern "C" fn(*mut KaytonContext, HKayRef) -> i32>,
    pub release_handle: Option<unsafe extern "C" fn(*mut KaytonContext, HKayRef) -> i32>,
    pub report: Option<unsafe extern "C" fn(*mut KaytonContext, i32, *const c_char, usize)>,
    pub set_error: Option<unsafe extern "C" fn(*mut KaytonContext, *const c_char, usize)>,
}

/// The per-session context the host passes to plugins (`KaytonContext`).
#[repr(C)]
pub struct KaytonContext {
    pub size: u32,
    pub abi_version: u32,
    pub host_data: *mut c_void,
    pub api: *const KaytonApi,
}

// The layouts of kayton_api.h: two u32, then pointers.
const _: () = assert!(size_of::<KaytonContext>() == 8 + 2 * size_of::<usize>());
const _: () = assert!(size_of::<KaytonApi>() == 8 + 9 * size_of::<usize>());

/// What went wrong in a call through the context.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// The context or its table speaks another ABI version.
    AbiMismatch { expected: u32, found: u32 },
    /// The context is unusable: NULL, too small, or without a table.
    BadContext(&'static str),
    /// The host's table ends before this function, or leaves it NULL.
    Unsupported(&'static str),
    /// The host returned this negative `KAYTON_E*` code.
    Host(i32),
    /// A plugin's own failure, passed to the host with `set_error`.
    Message(String),
}

impl Error {
    /// The negative code an entry point returns for this error.
    pub fn code(&self) -> i32 {
        match *self {
            Error::Host(c) if c < 0 => c,
            _ => EINVAL,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::AbiMismatch { expected, found } => write!(
                f,
                "Kayton ABI mismatch: the plugin speaks version {}, the host {}",
                expected, found
            ),
            Error::BadContext(what) => write!(f, "invalid KaytonContext: {}", what),
            Error::Unsupported(func) => {
                write!(f, "the host does not provide {} (an older Kayton?)", func)
            }
            Error::Host(code) => write!(f, "the host returned error {}", code),
            Error::Message(text) => f.write_str(text),
        }
    }
}

impl std::error::Error for Error {}

fn check_rc(rc: i32) -> Result<(), Error> {
    if rc < 0 {
        Err(Error::Host(rc))
    } else {
        Ok(())
    }
}

fn size_of_pointee<T>(_: *const T) -> usize {
    size_of::<T>()
}

/// The byte offset one past the function pointer `$field` of KaytonApi.
macro_rules! end_of {
    ($field:ident) => {{
        let probe = MaybeUninit::<KaytonApi>::uninit();
        let base = probe.as_ptr();
        // SAFETY: addr_of! only computes the address of a field of the
        // local `probe`; nothing is read or referenced.
        let field = unsafe { addr_of!((*base).$field) };
        (field as usize - base as usize) + size_of_pointee(field)
    }};
}

/// The host's function `$field`, or an early `Err` when the table is
/// unusable, too short to hold it (an older host), or holds NULL.
macro_rules! host_fn {
    ($ctx:expr, $field:ident) => {{
        let api = $ctx.table()?;
        let end = end_of!($field);
        // SAFETY: table() checked that `api` is not NULL and points to a
        // table whose header (size, abi_version) is readable.
        let size = unsafe { ptr::read(addr_of!((*api).size)) } as usize;
        if size < end {
            return Err(Error::Unsupported(stringify!($field)));
        }
        // SAFETY: the host's table is `size` bytes long and the field ends
        // within it (checked just above).
        match unsafe { ptr::read(addr_of!((*api).$field)) } {
            Some(f) => f,
            None => return Err(Error::Unsupported(stringify!($field))),
        }
    }};
}

impl KaytonContext {
    /// Turns the pointer a host passed to an entry point into a context,
    /// after checking its header: not NULL, at least as large as this
    /// struct, and [`ABI_VERSION`].
    ///
    /// # Safety
    /// `ctx` must be NULL or point to a context the host keeps valid (and
    /// does not use from another thread) for the lifetime `'a`.
    pub unsafe fn from_ptr<'a>(ctx: *mut KaytonContext) -> Result<&'a mut KaytonContext, Error> {
        if ctx.is_null() {
            return Err(Error::BadContext("NULL"));
        }
        // SAFETY: the caller promises a valid context; the header fields are
        // read through raw pointers before anything relies on its size.
        let (size, version) = unsafe {
            (
                ptr::read(addr_of!((*ctx).size)),
                ptr::read(addr_of!((*ctx).abi_version)),
            )
        };
        if (size as usize) < size_of::<KaytonContext>() {
            return Err(Error::BadContext("smaller than KaytonContext"));
        }
        if version != ABI_VERSION {
            return Err(Error::AbiMismatch {
                expected: ABI_VERSION,
                found: version,
            });
        }
        // SAFETY: valid and large enough (checked above); exclusive for 'a by
        // the caller's promise.
        Ok(unsafe { &mut *ctx })
    }

    /// Checks the context and its table: ABI version, table present and
    /// speaking [`ABI_VERSION`].
    pub fn check(&self) -> Result<(), Error> {
        self.table().map(|_| ())
    }

    fn table(&self) -> Result<*const KaytonApi, Error> {
        if (self.size as usize) < size_of::<KaytonContext>() {
            return Err(Error::BadContext("smaller than KaytonContext"));
        }
        if self.abi_version != ABI_VERSION {
            return Err(Error::AbiMismatch {
                expected: ABI_VERSION,
                found: self.abi_version,
            });
        }
        let api = self.api;
        if api.is_null() {
            return Err(Error::BadContext("no function table"));
        }
        // SAFETY: a non-NULL `api` points to the host's table, whose header
        // (two u32) every ABI version has.
        let (size, version) = unsafe {
            (
                ptr::read(addr_of!((*api).size)),
                ptr::read(addr_of!((*api).abi_version)),
            )
        };
        if size < 8 {
            return Err(Error::BadContext("function table smaller than its header"));
        }
        if version != ABI_VERSION {
            return Err(Error::AbiMismatch {
                expected: ABI_VERSION,
                found: version,
            });
        }
        Ok(api)
    }

    /// Registers the kind `name` (its Rust type path) with a drop function
    /// for its values — [`drop_box::<T>`] for values given to
    /// [`new_handle`](Self::new_handle) as `Box<T>` — or finds the kind
    /// already registered under that name.
    pub fn register_kind(&mut self, name: &str, drop: Option<DropFn>) -> Result<Kind, Error> {
        let f = host_fn!(self, register_kind);
        let mut kind = Kind::INVALID;
        // SAFETY: f is the host's register_kind; `name` is valid for its
        // length during the call (the host copies it); `kind` is writable.
        check_rc(unsafe {
            f(
                self,
                name.as_ptr() as *const c_char,
                name.len(),
                drop,
                &mut kind,
            )
        })?;
        Ok(kind)
    }

    /// Sets the global `name` to `ptr` of `kind`. The host does not own
    /// `ptr`: it must outlive the session (e.g. a leaked Box or a static).
    // Safe: the host only stores the pointer; whoever reads it back and
    // dereferences it does so in their own `unsafe`.
    #[allow(clippy::not_unsafe_ptr_arg_deref)]
    pub fn set_global_ptr(
        &mut self,
        name: &str,
        kind: Kind,
        ptr: *mut c_void,
    ) -> Result<(), Error> {
        let f = host_fn!(self, set_global_ptr);
        // SAFETY: f is the host's function; `name` is valid for the call.
        check_rc(unsafe { f(self, name.as_ptr() as *const c_char, name.len(), kind, ptr) })
    }

    /// The global `name`, which must have `kind`.
    pub fn get_global_ptr(&mut self, name: &str, kind: Kind) -> Result<*mut c_void, Error> {
        let f = host_fn!(self, get_global_ptr);
        let mut out: *mut c_void = ptr::null_mut();
        // SAFETY: f is the host's function; `name` is valid for the call;
        // `out` is writable.
        check_rc(unsafe {
            f(
                self,
                name.as_ptr() as *const c_char,
                name.len(),
                kind,
                &mut out,
            )
        })?;
        Ok(out)
    }

    /// Hands `value` to the host as a new handle of `kind`, whose drop
    /// function must be [`drop_box::<T>`]. On failure the value is dropped
    /// here.
    pub fn new_handle<T>(&mut self, kind: Kind, value: Box<T>) -> Result<HKayRef, Error> {
        let f = host_fn!(self, new_handle);
        let raw = Box::into_raw(value) as *mut c_void;
        let mut h: HKayRef = 0;
        // SAFETY: f is the host's function; on success it owns `raw`.
        let rc = unsafe { f(self, kind, raw, &mut h) };
        if rc < 0 {
            // SAFETY: on failure the host did not take `raw` (kayton_api.h),
            // which came from Box::into_raw just above.
            drop(unsafe { Box::from_raw(raw as *mut T) });
            return Err(Error::Host(rc));
        }
        Ok(h)
    }

    /// The value behind handle `h` of `kind`, as a raw pointer: valid while
    /// a reference to `h` is held; dereferencing it is the caller's
    /// `unsafe` promise that `kind` holds `T` values.
    pub fn get_handle<T>(&mut self, h: HKayRef, kind: Kind) -> Result<*mut T, Error> {
        let f = host_fn!(self, get_handle);
        let mut out: *mut c_void = ptr::null_mut();
        // SAFETY: f is the host's function; `out` is writable.
        check_rc(unsafe { f(self, h, kind, &mut out) })?;
        Ok(out as *mut T)
    }

    /// Adds a reference to `h`.
    pub fn retain(&mut self, h: HKayRef) -> Result<(), Error> {
        let f = host_fn!(self, retain_handle);
        // SAFETY: f is the host's function.
        check_rc(unsafe { f(self, h) })
    }

    /// Drops a reference to `h`; the last one drops the value.
    pub fn release(&mut self, h: HKayRef) -> Result<(), Error> {
        let f = host_fn!(self, release_handle);
        // SAFETY: f is the host's function.
        check_rc(unsafe { f(self, h) })
    }

    /// Reports `text` (program output or a diagnostic) at `level`.
    pub fn report(&mut self, level: Level, text: &str) -> Result<(), Error> {
        let f = host_fn!(self, report);
        // SAFETY: f is the host's function; `text` is valid for the call.
        unsafe {
            f(
                self,
                level as i32,
                text.as_ptr() as *const c_char,
                text.len(),
            )
        };
        Ok(())
    }

    /// Records the error of the current call (before returning a negative
    /// code to the host).
    pub fn set_error(&mut self, text: &str) -> Result<(), Error> {
        let f = host_fn!(self, set_error);
        // SAFETY: f is the host's function; `text` is valid for the call.
        unsafe { f(self, text.as_ptr() as *const c_char, text.len()) };
        Ok(())
    }
}

/// A kind's drop function for values handed over as `Box<T>`: use
/// `Some(drop_box::<T>)` with [`KaytonContext::register_kind`]. A panic in
/// `T`'s destructor is caught (it must not unwind into the host).
///
/// # Safety
/// `ptr` is NULL or came from `Box::<T>::into_raw` (as in
/// [`KaytonContext::new_handle`]) and is dropped once.
pub unsafe extern "C" fn drop_box<T>(ptr: *mut c_void) {
    if ptr.is_null() {
        return;
    }
    let _ = panic::catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: by the caller's promise, ptr is a Box<T> dropped once.
        drop(unsafe { Box::from_raw(ptr as *mut T) });
    }));
}

/// The message of a panic payload (`panic!("…")` gives &str or String).
pub fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.as_str()
    } else {
        "a panic with a non-string payload"
    }
}

thread_local! {
    /// How many [`catch`] calls are running on this thread: while there
    /// is one, the panic hook keeps a panic's report here instead of
    /// printing it to the process's stderr.
    static CATCHING: Cell<u32> = Cell::new(0);
    /// The report of the last panic on this thread while catching.
    static REPORT: RefCell<Option<String>> = RefCell::new(None);
}

static HOOK: Once = Once::new();

/// Installs (once per process) a panic hook that, on a thread inside
/// [`catch`], keeps the panic's report — message, location and, when
/// `RUST_BACKTRACE` asks for one, the backtrace — for `catch` to hand to
/// the host; any other panic goes to the hook that was there before (the
/// standard one prints it).
fn install_hook() {
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let catching = CATCHING.try_with(|c| c.get() > 0).unwrap_or(false);
            if !catching {
                previous(info);
                return;
            }
            let mut text = String::from("panicked");
            if let Some(l) = info.location() {
                // A cell's statements are compiled from "<file> (statements)"
                // (rimport's src/cell/compile.c): the user's file is <file>.
                let file = l.file();
                let file = file.strip_suffix(" (statements)").unwrap_or(file);
                text.push_str(&format!(" at {}:{}:{}", file, l.line(), l.column()));
            }
            text.push_str(": ");
            text.push_str(panic_message(info.payload()));
            backtrace_into(&mut text);
            let _ = REPORT.try_with(|r| *r.borrow_mut() = Some(text));
        }));
    });
}

/// Appends the stack backtrace when `RUST_BACKTRACE` asks for one: with
/// `full`, every frame; else, as Rust's own hook does, the frames between
/// the panic machinery and the entry point (from the panic's start up to
/// the frame that called [`catch`]).
#[cfg(kayton_backtrace)]
fn backtrace_into(text: &mut String) {
    let bt = std::backtrace::Backtrace::capture();
    if bt.status() != std::backtrace::BacktraceStatus::Captured {
        return;
    }
    let all = bt.to_string();
    text.push_str("\nstack backtrace:\n");
    if std::env::var_os("RUST_BACKTRACE").map_or(false, |v| v == "full") {
        text.push_str(&all);
        return;
    }
    // Frames: a line "   N: symbol", then its "at file:line" lines.
    let mut frames: Vec<Vec<&str>> = Vec::new();
    for line in all.lines() {
        let t = line.trim_start();
        let digits = t.bytes().take_while(|b| b.is_ascii_digit()).count();
        if digits > 0 && t[digits..].starts_with(": ") {
            frames.push(vec![&t[digits + 2..]]);
        } else if let Some(f) = frames.last_mut() {
            f.push(line);
        }
    }
    let start = frames
        .iter()
        .position(|f| f[0].contains("__rust_end_short_backtrace"))
        .map_or(0, |i| i + 1);
    let end = frames
        .iter()
        .position(|f| f[0].starts_with("kayton_api::catch"))
        .unwrap_or(frames.len())
        .max(start);
    for (n, f) in frames[start..end].iter().enumerate() {
        text.push_str(&format!("{:>4}: {}\n", n, f[0]));
        for line in &f[1..] {
            text.push_str(line);
            text.push('\n');
        }
    }
    text.push_str(
        "note: some details are omitted, run with `RUST_BACKTRACE=full` for a verbose backtrace.",
    );
}

/// Without std::backtrace (Rust before 1.65): says so when one is asked.
#[cfg(not(kayton_backtrace))]
fn backtrace_into(text: &mut String) {
    match std::env::var_os("RUST_BACKTRACE") {
        Some(v) if v != "0" => {
            text.push_str("\n(no backtrace: it needs Rust 1.65 or later)")
        }
        _ => {}
    }
}

/// Runs `f` for an entry point called by the host (DESIGN.md fact 12: a
/// panic must not reach an `extern "C"` boundary). Returns [`OK`]; for an
/// error, calls `set_error` with its text and returns its negative code;
/// for a panic, returns -1 after handing the host its report, "panicked at
/// <file>:<line>:<column>: <message>" (and the backtrace when
/// `RUST_BACKTRACE` asks for one): through `set_error`, and through
/// `report` at the stderr level. The panic is not printed to the process's
/// stderr (a kernel does not see that).
pub fn catch<F>(ctx: &mut KaytonContext, f: F) -> i32
where
    F: FnOnce(&mut KaytonContext) -> Result<(), Error>,
{
    install_hook();
    let _ = REPORT.try_with(|r| r.borrow_mut().take());
    let _ = CATCHING.try_with(|c| c.set(c.get() + 1));
    let result = panic::catch_unwind(AssertUnwindSafe(|| f(&mut *ctx)));
    let _ = CATCHING.try_with(|c| c.set(c.get().saturating_sub(1)));
    match result {
        Ok(Ok(())) => OK,
        Ok(Err(e)) => {
            let _ = ctx.set_error(&e.to_string());
            e.code()
        }
        Err(payload) => {
            let report = REPORT
                .try_with(|r| r.borrow_mut().take())
                .ok()
                .flatten()
                .unwrap_or_else(|| format!("panicked: {}", panic_message(&*payload)));
            let _ = ctx.set_error(&report);
            let _ = ctx.report(Level::Stderr, &format!("{}\n", report));
            // Dropping a payload may itself panic: keep that inside too.
            let _ = panic::catch_unwind(AssertUnwindSafe(move || drop(payload)));
            -1
        }
    }
}

/// [`catch`] for a raw context pointer from the host: a NULL or mismatched
/// context is refused with its code (nothing can be reported through it).
///
/// # Safety
/// As [`KaytonContext::from_ptr`], for the duration of the call.
pub unsafe fn catch_raw<F>(ctx: *mut KaytonContext, f: F) -> i32
where
    F: FnOnce(&mut KaytonContext) -> Result<(), Error>,
{
    // SAFETY: forwarded from the caller.
    match unsafe { KaytonContext::from_ptr(ctx) } {
        Ok(ctx) => catch(ctx, f),
        Err(e) => e.code(),
    }
}

/// The statements of a cell, as its entry point runs them
/// (plugin_templates/cell/body.rs.tpl): [`catch_raw`] with an error of any
/// type (a cell's `?`) handed to the host as its Display text. Not generic:
/// a cell compiles none of this, only its own closure.
///
/// # Safety
/// As [`KaytonContext::from_ptr`], for the duration of the call.
pub unsafe fn run_cell(
    ctx: *mut KaytonContext,
    body: &mut dyn FnMut(&mut KaytonContext) -> Result<(), Box<dyn std::error::Error>>,
) -> i32 {
    // SAFETY: forwarded from the caller.
    unsafe { catch_raw(ctx, |c| body(c).map_err(|e| Error::Message(e.to_string()))) }
}

/// The kind of the global that tells [`kind_of`] which kind a plugin gave a
/// type: its value is the kind's name, a static NUL-terminated string of
/// the plugin (plugins are never unloaded).
const KIND_NAME_KIND: &str = "kayton.kind_name";

/// The name of that global for type `T`.
fn kind_of_global<T: 'static>() -> String {
    format!("kayton.kind_of {}", std::any::type_name::<T>())
}

/// Registers the kind of opaque values of type `T` that a plugin's thunks
/// take and give, named `name` (the type's public path, NUL-terminated),
/// with the drop function of `Slot<T>`, and tells [`kind_of`] that values
/// of `T` kept with [`keep`] belong to it too: then a kept value is a
/// handle the plugin's thunks (and its render thunk) take.
pub fn public_kind<T: 'static>(ctx: &mut KaytonContext, name: &'static str) -> Result<Kind, Error> {
    let bare = name.strip_suffix('\0').unwrap_or(name);
    let k = slot_kind::<T>(ctx, bare)?;
    if name.ends_with('\0') {
        let nk = ctx.register_kind(KIND_NAME_KIND, None)?;
        ctx.set_global_ptr(&kind_of_global::<T>(), nk, name.as_ptr() as *mut c_void)?;
    }
    Ok(k)
}

/// The kinds a value of type `T` kept with [`keep`] may have, the one
/// [`keep`] uses first: the kind a loaded plugin registered for `T` under
/// its public path ([`public_kind`]), then the kind named by `T`'s type
/// name (for types no plugin registered, and for values kept before a
/// plugin that registers `T` was loaded). Both hold a `Box<Slot<T>>`.
fn kept_kinds<T: 'static>(ctx: &mut KaytonContext) -> Result<Vec<Kind>, Error> {
    let mut kinds = Vec::with_capacity(2);
    let nk = ctx.register_kind(KIND_NAME_KIND, None)?;
    if let Ok(p) = ctx.get_global_ptr(&kind_of_global::<T>(), nk) {
        if !p.is_null() {
            // SAFETY: public_kind stored a static NUL-terminated string of
            // a plugin that stays loaded.
            let name = unsafe { std::ffi::CStr::from_ptr(p as *const c_char) };
            if let Ok(name) = name.to_str() {
                kinds.push(slot_kind::<T>(ctx, name)?);
            }
        }
    }
    let own = slot_kind::<T>(ctx, std::any::type_name::<T>())?;
    if !kinds.contains(&own) {
        kinds.push(own);
    }
    Ok(kinds)
}

/// The kind rimport uses for values of type `T` kept with [`keep`]: the
/// kind a loaded plugin gave `T` (so that its thunks take the value), else
/// one per Rust type name (a type exists once in the process: every crate
/// is loaded once), registered on first use. Values are held as
/// `Box<Slot<T>>`, as thunks hold theirs.
pub fn kind_of<T: 'static>(ctx: &mut KaytonContext) -> Result<Kind, Error> {
    Ok(kept_kinds::<T>(ctx)?[0])
}

/// The handle kept as `name` with a kind of `T`, and that kind; `Ok(None)`
/// when nothing is kept under the name; `Err(EKIND)` when what is kept
/// there is of another type.
fn kept<T: 'static>(ctx: &mut KaytonContext, name: &str) -> Result<Option<(HKayRef, Kind)>, Error> {
    let mut other = false;
    for k in kept_kinds::<T>(ctx)? {
        match ctx.get_global_ptr(name, k) {
            Ok(p) => return Ok(Some((p as usize as HKayRef, k))),
            Err(Error::Host(EKIND)) => other = true,
            Err(Error::Host(ENOTFOUND)) => {}
            Err(e) => return Err(e),
        }
    }
    if other {
        Err(Error::Host(EKIND))
    } else {
        Ok(None)
    }
}

/// Keeps `value` in the VM under `name`, so that a later cell of the session
/// can use it with [`get`]. A value kept before under the same name and type
/// is released (its drop runs when nothing else holds it); every value still
/// kept is dropped when the session closes.
pub fn keep<T: 'static>(ctx: &mut KaytonContext, name: &str, value: T) -> Result<(), Error> {
    let kind = kind_of::<T>(ctx)?;
    let old = kept::<T>(ctx, name).ok().flatten();
    let h = ctx.new_handle::<Slot<T>>(kind, Box::new(Some(value)))?;
    ctx.set_global_ptr(name, kind, h as usize as *mut c_void)?;
    if let Some((p, _)) = old {
        let _ = ctx.release(p);
    }
    Ok(())
}

/// The value an earlier cell kept under `name` with [`keep`]. It stays valid
/// while the session lives and nothing keeps another value under `name`; a
/// value of another type under that name, or one a thunk took by value
/// (moved out), is an error saying so.
pub fn get<T: 'static>(ctx: &mut KaytonContext, name: &str) -> Result<&'static T, Error> {
    let (h, kind) = match kept::<T>(ctx, name) {
        Ok(Some(hk)) => hk,
        Err(Error::Host(EKIND)) => {
            return Err(Error::Message(format!(
                "get!: the value kept as \"{}\" is not a {}: it was kept with \
                 another type (a type defined again in a later cell is a new \
                 type; values kept before keep the old one)",
                name,
                std::any::type_name::<T>()
            )))
        }
        Ok(None) => {
            return Err(Error::Message(format!(
                "get!: nothing is kept as \"{}\"; keep it first, with \
                 keep!(\"{}\", value) in an earlier cell",
                name, name
            )))
        }
        Err(e) => return Err(e),
    };
    let p = ctx.get_handle::<Slot<T>>(h, kind)?;
    // SAFETY: the VM owns the box behind the handle until the session
    // closes or the name is kept again; cells run one at a time.
    match unsafe { &*p } {
        Some(v) => Ok(v),
        None => Err(Error::Message(format!(
            "get!: the value kept as \"{}\" was moved out by a call that took \
             it by value",
            name
        ))),
    }
}

// --- thunks (kayton_api.h "thunks") -----------------------------------------
//
// A plugin's thunks are generated (plugin/lib.rs.tpl) as a few calls to
// the helpers below: each argument converted (ranges checked), the item
// called, the result written to the host's KaytonValue. Values of opaque
// types live behind handles as `Slot<T>` (an `Option<T>`), so that a thunk
// taking `self` or a `T` by value can move the value out and leave the
// handle empty.

pub const ERUST: i32 = -5;

pub const VALUE_UNIT: u32 = 0;
pub const VALUE_I64: u32 = 1;
pub const VALUE_F64: u32 = 2;
pub const VALUE_BOOL: u32 = 3;
pub const VALUE_STR: u32 = 4;
pub const VALUE_VEC_I64: u32 = 5;
pub const VALUE_VEC_F64: u32 = 6;
pub const VALUE_HANDLE: u32 = 7;
pub const VALUE_NONE: u32 = 8;

/// A thunk's result (`KaytonValue`).
#[repr(C)]
#[derive(Debug)]
pub struct KaytonValue {
    pub tag: u32,
    pub reserved: u32,
    pub i: i64,
    pub f: f64,
    pub ptr: *mut c_void,
    pub len: usize,
    pub h: HKayRef,
}

impl KaytonValue {
    fn tagged(tag: u32) -> KaytonValue {
        KaytonValue { tag, reserved: 0, i: 0, f: 0.0, ptr: ptr::null_mut(), len: 0, h: 0 }
    }
}

/// What a thunk's value of an opaque type is held as behind its handle.
pub type Slot<T> = Option<T>;

/// The kind of opaque values of type `T` named `name` (the type's public
/// path), with the drop function of `Slot<T>`.
pub fn slot_kind<T: 'static>(ctx: &mut KaytonContext, name: &str) -> Result<Kind, Error> {
    ctx.register_kind(name, Some(drop_box::<Slot<T>>))
}

fn slot<'a, T: 'static>(
    ctx: &mut KaytonContext,
    h: HKayRef,
    kind: &str,
    what: &str,
) -> Result<&'a mut Slot<T>, Error> {
    let k = slot_kind::<T>(ctx, kind)?;
    match ctx.get_handle::<Slot<T>>(h, k) {
        // SAFETY: a handle of this kind holds a Box<Slot<T>> (slot_kind's
        // drop function says so); the caller holds a reference to it for
        // the call.
        Ok(p) => Ok(unsafe { &mut *p }),
        Err(Error::Host(EKIND)) => Err(Error::Message(format!(
            "{}: the handle {} is not a {}",
            what, h, kind
        ))),
        Err(Error::Host(ENOTFOUND)) => Err(Error::Message(format!(
            "{}: there is no handle {} (released already?)",
            what, h
        ))),
        Err(e) => Err(e),
    }
}

/// `&T` from a handle.
pub fn borrow<'a, T: 'static>(
    ctx: &mut KaytonContext,
    h: HKayRef,
    kind: &str,
    what: &str,
) -> Result<&'a T, Error> {
    match slot::<T>(ctx, h, kind, what)? {
        Some(v) => Ok(v),
        None => Err(moved(h, kind, what)),
    }
}

/// `&mut T` from a handle.
pub fn borrow_mut<'a, T: 'static>(
    ctx: &mut KaytonContext,
    h: HKayRef,
    kind: &str,
    what: &str,
) -> Result<&'a mut T, Error> {
    match slot::<T>(ctx, h, kind, what)? {
        Some(v) => Ok(v),
        None => Err(moved(h, kind, what)),
    }
}

/// `T` moved out of a handle (which stays, empty).
pub fn take<T: 'static>(
    ctx: &mut KaytonContext,
    h: HKayRef,
    kind: &str,
    what: &str,
) -> Result<T, Error> {
    match slot::<T>(ctx, h, kind, what)?.take() {
        Some(v) => Ok(v),
        None => Err(moved(h, kind, what)),
    }
}

fn moved(h: HKayRef, kind: &str, what: &str) -> Error {
    Error::Message(format!(
        "{}: the {} behind handle {} was moved out by an earlier call that \
         took it by value",
        what, kind, h
    ))
}

/// An integer argument of Rust type `T`, checked against its range.
pub fn arg_int<T: TryFrom<i64>>(v: i64, ty: &str, what: &str) -> Result<T, Error> {
    T::try_from(v).map_err(|_| Error::Message(format!("{}: {} is out of range for {}", what, v, ty)))
}

/// A u64/u128/i128/usize argument: an i64 the type holds.
pub fn arg_wide<T: TryFrom<i64>>(v: i64, ty: &str, what: &str) -> Result<T, Error> {
    arg_int::<T>(v, ty, what)
}

/// A str argument: (ptr, len), UTF-8.
pub fn arg_str<'a>(p: *const u8, len: usize, what: &str) -> Result<&'a str, Error> {
    if p.is_null() && len > 0 {
        return Err(Error::Message(format!("{}: a NULL string", what)));
    }
    let bytes: &[u8] = if len == 0 {
        &[]
    } else {
        // SAFETY: the host passes `len` readable bytes at `p` (kayton_api.h).
        unsafe { std::slice::from_raw_parts(p, len) }
    };
    std::str::from_utf8(bytes).map_err(|e| Error::Message(format!("{}: not UTF-8 ({})", what, e)))
}

/// A Vec of integers of type `T`, each checked.
pub fn arg_vec_int<T: TryFrom<i64>>(
    p: *const i64,
    len: usize,
    ty: &str,
    what: &str,
) -> Result<Vec<T>, Error> {
    if p.is_null() && len > 0 {
        return Err(Error::Message(format!("{}: a NULL array", what)));
    }
    let v: &[i64] = if len == 0 {
        &[]
    } else {
        // SAFETY: the host passes `len` readable elements at `p`.
        unsafe { std::slice::from_raw_parts(p, len) }
    };
    v.iter().map(|&x| arg_int::<T>(x, ty, what)).collect()
}

/// A Vec of floats (f64 as given; f32 rounded).
pub fn arg_vec_f64<T: FromF64>(p: *const f64, len: usize, what: &str) -> Result<Vec<T>, Error> {
    if p.is_null() && len > 0 {
        return Err(Error::Message(format!("{}: a NULL array", what)));
    }
    let v: &[f64] = if len == 0 {
        &[]
    } else {
        // SAFETY: the host passes `len` readable elements at `p`.
        unsafe { std::slice::from_raw_parts(p, len) }
    };
    Ok(v.iter().map(|&x| T::from_f64(x)).collect())
}

/// f64 → f32 or f64.
pub trait FromF64 {
    fn from_f64(v: f64) -> Self;
}
impl FromF64 for f64 {
    fn from_f64(v: f64) -> Self {
        v
    }
}
impl FromF64 for f32 {
    fn from_f64(v: f64) -> Self {
        v as f32
    }
}

fn bytes_value(tag: u32, b: Box<[u8]>) -> KaytonValue {
    let mut v = KaytonValue::tagged(tag);
    v.len = b.len();
    v.ptr = Box::into_raw(b) as *mut u8 as *mut c_void;
    v
}

/// A result of a value shape (not opaque).
pub trait IntoValue {
    fn into_value(self) -> Result<KaytonValue, Error>;
}

macro_rules! int_value {
    ($($t:ty),*) => {$(
        impl IntoValue for $t {
            fn into_value(self) -> Result<KaytonValue, Error> {
                let i = i64::try_from(self).map_err(|_| Error::Message(format!(
                    "the result {} does not fit an i64", self)))?;
                let mut v = KaytonValue::tagged(VALUE_I64);
                v.i = i;
                Ok(v)
            }
        }
    )*};
}
int_value!(i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize);

impl IntoValue for f64 {
    fn into_value(self) -> Result<KaytonValue, Error> {
        let mut v = KaytonValue::tagged(VALUE_F64);
        v.f = self;
        Ok(v)
    }
}
impl IntoValue for f32 {
    fn into_value(self) -> Result<KaytonValue, Error> {
        f64::from(self).into_value()
    }
}
impl IntoValue for bool {
    fn into_value(self) -> Result<KaytonValue, Error> {
        let mut v = KaytonValue::tagged(VALUE_BOOL);
        v.i = self as i64;
        Ok(v)
    }
}
impl IntoValue for () {
    fn into_value(self) -> Result<KaytonValue, Error> {
        Ok(KaytonValue::tagged(VALUE_UNIT))
    }
}
impl IntoValue for String {
    fn into_value(self) -> Result<KaytonValue, Error> {
        Ok(bytes_value(VALUE_STR, self.into_bytes().into_boxed_slice()))
    }
}
impl<'a> IntoValue for &'a str {
    fn into_value(self) -> Result<KaytonValue, Error> {
        self.to_owned().into_value()
    }
}
impl<'a> IntoValue for &'a String {
    fn into_value(self) -> Result<KaytonValue, Error> {
        self.clone().into_value()
    }
}
macro_rules! vec_int_value {
    ($($t:ty),*) => {$(
        impl IntoValue for Vec<$t> {
            fn into_value(self) -> Result<KaytonValue, Error> {
                let mut out = Vec::with_capacity(self.len());
                for x in self {
                    out.push(i64::try_from(x).map_err(|_| Error::Message(format!(
                        "an element {} of the result does not fit an i64", x)))?);
                }
                let b = out.into_boxed_slice();
                let mut v = KaytonValue::tagged(VALUE_VEC_I64);
                v.len = b.len();
                v.ptr = Box::into_raw(b) as *mut i64 as *mut c_void;
                Ok(v)
            }
        }
    )*};
}
vec_int_value!(i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize);
macro_rules! vec_float_value {
    ($($t:ty),*) => {$(
        impl IntoValue for Vec<$t> {
            fn into_value(self) -> Result<KaytonValue, Error> {
                let b: Box<[f64]> = self.into_iter().map(f64::from).collect();
                let mut v = KaytonValue::tagged(VALUE_VEC_F64);
                v.len = b.len();
                v.ptr = Box::into_raw(b) as *mut f64 as *mut c_void;
                Ok(v)
            }
        }
    )*};
}
vec_float_value!(f32, f64);
impl<T: IntoValue> IntoValue for Option<T> {
    fn into_value(self) -> Result<KaytonValue, Error> {
        match self {
            Some(v) => v.into_value(),
            None => Ok(KaytonValue::tagged(VALUE_NONE)),
        }
    }
}
impl<T: IntoValue, E: fmt::Display> IntoValue for Result<T, E> {
    fn into_value(self) -> Result<KaytonValue, Error> {
        match self {
            Ok(v) => v.into_value(),
            Err(e) => Err(Error::Message(e.to_string())),
        }
    }
}

/// A result of an opaque type: a new handle of `kind`.
pub fn ret_handle<T: 'static>(ctx: &mut KaytonContext, kind: &str, value: T) -> Result<KaytonValue, Error> {
    let k = slot_kind::<T>(ctx, kind)?;
    let h = ctx.new_handle::<Slot<T>>(k, Box::new(Some(value)))?;
    let mut v = KaytonValue::tagged(VALUE_HANDLE);
    v.h = h;
    Ok(v)
}

/// `Option<T>` of an opaque type.
pub fn ret_opt_handle<T: 'static>(
    ctx: &mut KaytonContext,
    kind: &str,
    value: Option<T>,
) -> Result<KaytonValue, Error> {
    match value {
        Some(v) => ret_handle(ctx, kind, v),
        None => Ok(KaytonValue::tagged(VALUE_NONE)),
    }
}

/// `Result<T, E>` of an opaque type.
pub fn ret_res_handle<T: 'static, E: fmt::Display>(
    ctx: &mut KaytonContext,
    kind: &str,
    value: Result<T, E>,
) -> Result<KaytonValue, Error> {
    match value {
        Ok(v) => ret_handle(ctx, kind, v),
        Err(e) => Err(Error::Message(e.to_string())),
    }
}

/// `Result<Option<T>, E>` of an opaque type.
pub fn ret_res_opt_handle<T: 'static, E: fmt::Display>(
    ctx: &mut KaytonContext,
    kind: &str,
    value: Result<Option<T>, E>,
) -> Result<KaytonValue, Error> {
    match value {
        Ok(v) => ret_opt_handle(ctx, kind, v),
        Err(e) => Err(Error::Message(e.to_string())),
    }
}

/// Runs a thunk's body: the result into `*out`, or the error (or panic)
/// through `set_error` with ERUST. Never unwinds.
///
/// # Safety
/// `ctx` as [`KaytonContext::from_ptr`]; `out` NULL or writable.
pub unsafe fn thunk<F>(ctx: *mut KaytonContext, out: *mut KaytonValue, path: &str, f: F) -> i32
where
    F: FnOnce(&mut KaytonContext) -> Result<KaytonValue, Error>,
{
    if out.is_null() {
        return EINVAL;
    }
    let mut result: Option<KaytonValue> = None;
    // SAFETY: forwarded from the caller.
    let rc = unsafe {
        catch_raw(ctx, |c| {
            result = Some(f(c).map_err(|e| match e {
                Error::Message(m) => Error::Message(format!("{}: {}", path, m)),
                other => other,
            })?);
            Ok(())
        })
    };
    match (rc, result) {
        (OK, Some(v)) => {
            // SAFETY: out is writable (checked above, the caller's promise).
            unsafe { out.write(v) };
            OK
        }
        (OK, None) => EINVAL,
        (rc, _) if rc == EINVAL || rc == -1 => ERUST,
        (rc, _) => rc,
    }
}

/// Gives back the buffer of a thunk's STR or VEC_* result.
///
/// # Safety
/// `v` NULL or a KaytonValue a thunk of this process wrote, freed once.
pub unsafe fn free_value(v: *mut KaytonValue) {
    if v.is_null() {
        return;
    }
    // SAFETY: the caller's promise.
    let v = unsafe { &mut *v };
    if v.ptr.is_null() {
        return;
    }
    // SAFETY: ptr/len came from Box::into_raw of a boxed slice of the tag's
    // element type (bytes_value, vec_*_value).
    unsafe {
        match v.tag {
            VALUE_STR => drop(Box::from_raw(std::slice::from_raw_parts_mut(v.ptr as *mut u8, v.len))),
            VALUE_VEC_I64 => drop(Box::from_raw(std::slice::from_raw_parts_mut(v.ptr as *mut i64, v.len))),
            VALUE_VEC_F64 => drop(Box::from_raw(std::slice::from_raw_parts_mut(v.ptr as *mut f64, v.len))),
            _ => return,
        }
    }
    v.ptr = ptr::null_mut();
    v.len = 0;
}

/// What a cell shows for the value of its last expression, as a notebook
/// does (plugin_templates/cell/body.rs.tpl): nothing for `()`, else its
/// Debug text, else its Display text, else its type's name. Chosen at
/// compile time by autoref specialization: the cell calls
/// `(&&&&Wrap(&v)).kayton_show()`, and the first trait whose impl matches
/// the receiver's reference depth wins.
pub mod show {
    use std::fmt::{Debug, Display};

    pub struct Wrap<'a, T: ?Sized>(pub &'a T);

    /// A type's name without the cell crates' names (`kayton_cell_<16 hex
    /// digits>::`), as the user wrote it.
    pub fn without_cell_crates(name: &str) -> String {
        const PREFIX: &str = "kayton_cell_";
        let mut out = String::with_capacity(name.len());
        let mut rest = name;
        while let Some(at) = rest.find(PREFIX) {
            let after = &rest[at + PREFIX.len()..];
            let hex = after.bytes().take_while(|b| b.is_ascii_hexdigit()).count();
            out.push_str(&rest[..at]);
            if hex == 16 && after[hex..].starts_with("::") {
                rest = &after[hex + 2..];
            } else {
                out.push_str(PREFIX);
                rest = after;
            }
        }
        out.push_str(rest);
        out
    }

    pub trait ShowUnit {
        fn kayton_show(&self) -> Option<String>;
    }
    impl<'a> ShowUnit for &&&Wrap<'a, ()> {
        fn kayton_show(&self) -> Option<String> {
            None
        }
    }

    pub trait ShowDebug {
        fn kayton_show(&self) -> Option<String>;
    }
    impl<'a, T: Debug + ?Sized> ShowDebug for &&Wrap<'a, T> {
        fn kayton_show(&self) -> Option<String> {
            Some(format!("{:?}\n", self.0))
        }
    }

    pub trait ShowDisplay {
        fn kayton_show(&self) -> Option<String>;
    }
    impl<'a, T: Display + ?Sized> ShowDisplay for &Wrap<'a, T> {
        fn kayton_show(&self) -> Option<String> {
            Some(format!("{}\n", self.0))
        }
    }

    pub trait ShowAny {
        fn kayton_show(&self) -> Option<String>;
    }
    impl<'a, T: ?Sized> ShowAny for Wrap<'a, T> {
        fn kayton_show(&self) -> Option<String> {
            Some(format!("<{}>\n", without_cell_crates(std::any::type_name::<T>())))
        }
    }
}
