//! The sequential specification of one etcd key used as a register, for stateright's linearizability tester.
//!
//! Values are the ids of the operations that wrote them (every write's value is unique and names its
//! operation), so the state is a small `Copy` value and the search clones it cheaply.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use stateright::semantics::SequentialSpec;

/// An operation on the register.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RegisterOp {
    /// An unconditional set to the value written by this operation id.
    Write(u64),
    /// A quorum get.
    Read,
    /// A set that applies only when the current value is `expected`.
    Cas {
        /// The value the compare expects.
        expected: u64,
        /// The value written when it matches.
        new: u64,
    },
}

/// What an operation returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RegisterRet {
    /// The set was acknowledged.
    WriteOk,
    /// The get returned this value (`None`: the key did not exist).
    ReadOk(Option<u64>),
    /// The compare matched and the value was written.
    CasOk,
    /// The compare did not match (etcd's TestFailed, or KeyNotFound on a missing key); nothing was written.
    CasFail,
    /// Never returned by etcd: the search ran out of its budget (see [`EtcdRegister::with_budget`]). It equals
    /// no recorded return, so every branch of the search ends at once.
    OutOfBudget,
}

/// An etcd key holding the value of the last write (or nothing), with a budget on the checker's search.
///
/// stateright's tester searches depth first with no bound; a history it cannot linearize may take
/// exponential time. Each step of the search calls [`SequentialSpec::invoke`] once, so the spec watches the
/// clock and, when the time is up, answers [`RegisterRet::OutOfBudget`] without changing state: completed
/// operations then fail to match and the search unwinds. An in-flight operation answered that way was simply
/// not applied, which is always allowed, so any linearization still found is a true one.
#[derive(Clone, Debug)]
pub struct EtcdRegister {
    value: Option<u64>,
    budget: Arc<Budget>,
}

/// A bound on a search, in time; shared by every clone of the spec.
#[derive(Debug)]
struct Budget {
    steps: AtomicU64,
    deadline: Instant,
    spent: AtomicBool,
}

impl Budget {
    /// Takes a step; `false` once the time is up. The clock is read every 1,024 steps only.
    fn step(&self) -> bool {
        if self.spent.load(Ordering::Relaxed) {
            return false;
        }
        if self.steps.fetch_add(1, Ordering::Relaxed) % 1_024 == 0 && Instant::now() >= self.deadline {
            self.spent.store(true, Ordering::Relaxed);
            return false;
        }
        true
    }
}

impl EtcdRegister {
    /// An empty key, with a search bounded to `time`.
    pub fn with_budget(time: Duration) -> Self {
        let budget =
            Budget { steps: AtomicU64::new(0), deadline: Instant::now() + time, spent: AtomicBool::new(false) };
        EtcdRegister { value: None, budget: Arc::new(budget) }
    }

    /// Whether the budget was spent (the verdict is then inconclusive unless a linearization was found).
    pub fn budget_spent(&self) -> bool {
        self.budget.spent.load(Ordering::Relaxed)
    }
}

impl SequentialSpec for EtcdRegister {
    type Op = RegisterOp;
    type Ret = RegisterRet;

    fn invoke(&mut self, op: &RegisterOp) -> RegisterRet {
        if !self.budget.step() {
            return RegisterRet::OutOfBudget;
        }
        match *op {
            RegisterOp::Write(v) => {
                self.value = Some(v);
                RegisterRet::WriteOk
            }
            RegisterOp::Read => RegisterRet::ReadOk(self.value),
            RegisterOp::Cas { expected, new } if self.value == Some(expected) => {
                self.value = Some(new);
                RegisterRet::CasOk
            }
            RegisterOp::Cas { .. } => RegisterRet::CasFail,
        }
    }
}
