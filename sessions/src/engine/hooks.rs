//! Hooks the host registers, and the isolation every tracking step runs in: a failure or panic in a step is
//! logged at warn and loses that piece of data, never the sign-in.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;

use super::store::{Event, SessionRecord};
use super::Sessions;

type NewDeviceHook = dyn Fn(&SessionRecord, &Event) + Send + Sync;
type RevokedHook = dyn Fn(&SessionRecord, Option<&str>, &str) + Send + Sync;
type EventHook = dyn Fn(&Event) + Send + Sync;
type FailuresHook = dyn Fn(&str, u64, &Event) + Send + Sync;
pub(crate) type ForgetHook = dyn Fn(String) -> futures::future::BoxFuture<'static, Result<(), BoxError>> + Send + Sync;
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Callbacks run after the change they report is stored. They run inline and must return quickly: spawn a task
/// for anything slow (mail, webhooks). A hook that panics is logged and skipped.
#[derive(Clone, Default)]
pub struct Hooks {
    pub(crate) on_new_device: Option<Arc<NewDeviceHook>>,
    pub(crate) on_session_revoked: Option<Arc<RevokedHook>>,
    pub(crate) on_event: Option<Arc<EventHook>>,
    pub(crate) on_repeated_failures: Option<(RepeatedFailures, Arc<FailuresHook>)>,
    /// Unlike the others, awaited, and its error fails the operation: see `Config::on_forget`.
    pub(crate) on_forget: Option<Arc<ForgetHook>>,
}

/// "`threshold` failed sign-ins for one identity within `window`".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RepeatedFailures {
    pub threshold: u64,
    pub window: Duration,
}

impl Sessions {
    /// Runs a synchronous tracking step; `None` if it panicked (or a fault was injected for tests).
    pub(crate) fn isolate<T>(&self, step: &'static str, f: impl FnOnce() -> T) -> Option<T> {
        match std::panic::catch_unwind(AssertUnwindSafe(|| {
            self.inject_fault(step);
            f()
        })) {
            Ok(value) => Some(value),
            Err(_) => {
                tracing::warn!(step, "tracking step panicked; continuing without it");
                None
            }
        }
    }

    /// Runs an asynchronous tracking step; `None` if it failed or panicked.
    pub(crate) async fn isolate_async<T, E: std::fmt::Display>(
        &self,
        step: &'static str,
        fut: impl Future<Output = Result<T, E>>,
    ) -> Option<T> {
        let guarded = async {
            self.inject_fault(step);
            fut.await
        };
        match AssertUnwindSafe(guarded).catch_unwind().await {
            Ok(Ok(value)) => Some(value),
            Ok(Err(err)) => {
                tracing::warn!(step, error = %err, "tracking step failed; continuing without it");
                None
            }
            Err(_) => {
                tracing::warn!(step, "tracking step panicked; continuing without it");
                None
            }
        }
    }

    #[cfg(feature = "fault-injection")]
    fn inject_fault(&self, step: &'static str) {
        if self.config().inject_faults {
            panic!("injected fault in tracking step {step}");
        }
    }

    #[cfg(not(feature = "fault-injection"))]
    fn inject_fault(&self, _step: &'static str) {}

    /// Tees a stored event to `on_event`, and to the pages following its user (their history grew).
    pub(crate) fn emit(&self, event: &Event) {
        if let Some(user) = &event.user_id {
            self.hub().history(user);
        }
        if let Some(hook) = &self.config().hooks.on_event {
            self.isolate("on_event", || hook(event));
        }
    }

    pub(crate) fn emit_revoked(&self, row: &SessionRecord, by: Option<&str>, reason: &str) {
        if let Some(hook) = &self.config().hooks.on_session_revoked {
            self.isolate("on_session_revoked", || hook(row, by, reason));
        }
    }

    pub(crate) fn emit_new_device(&self, row: &SessionRecord, event: &Event) {
        if let Some(hook) = &self.config().hooks.on_new_device {
            self.isolate("on_new_device", || hook(row, event));
        }
    }
}
