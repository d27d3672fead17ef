//! A value that requests share and a reload replaces atomically (configuration, certificate).

use std::sync::{Arc, PoisonError, RwLock};

/// A value readers share and a writer replaces; readers keep the `Arc` they took, so a swap
/// never disturbs a request in flight.
#[derive(Debug)]
pub(crate) struct Live<T> {
    current: RwLock<Arc<T>>,
}

impl<T> Live<T> {
    /// Starts with `value`.
    pub(crate) fn new(value: T) -> Self {
        Live {
            current: RwLock::new(Arc::new(value)),
        }
    }

    /// The current value.
    pub(crate) fn get(&self) -> Arc<T> {
        // A poisoned lock only means a writer panicked between two plain assignments; the
        // value inside is still a whole `Arc`.
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Replaces the value for every later [`Live::get`].
    pub(crate) fn set(&self, value: T) {
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_value_swaps_without_disturbing_holders() {
        let live = Live::new(1);
        let held = live.get();
        live.set(2);
        assert_eq!(*held, 1);
        assert_eq!(*live.get(), 2);
    }
}
