//! One thread per store: it owns the connection and runs every call in the order it was made, so
//! a read always sees the writes issued before it. Writes that queue up while the thread is busy
//! are committed together (`Database::transact_group`).

use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Mutex, PoisonError};
use std::thread;

use crate::db::{guard, Store, TxJob};
use crate::error::{Error, ErrorCode, Result};

/// Called on the store's thread with the outcome of a call.
pub type Done<T> = Box<dyn FnOnce(Result<T>) + Send>;
/// A read, given the open store.
pub type ReadJob<S, T> = Box<dyn FnOnce(&S) -> Result<T> + Send>;

/// The most writes one commit takes, so that the first of them is not held back for long.
const MAX_GROUP: usize = 64;

enum Request<S, T> {
    Read(ReadJob<S, T>, Done<T>),
    Write(TxJob<'static, T>, Done<T>),
    Close(Done<T>),
}

pub struct Worker<S, T> {
    /// `None` once `close` was called: later calls fail with `FLG_CLOSED` without queueing.
    sender: Mutex<Option<Sender<Request<S, T>>>>,
}

impl<S: Store, T: Default + Send + 'static> Worker<S, T> {
    /// Starts the thread, which opens the store first with `open`. If opening fails, every call
    /// reports that error.
    pub fn start(open: impl FnOnce() -> Result<S> + Send + 'static) -> Result<Self> {
        let (sender, receiver) = mpsc::channel();
        thread::Builder::new()
            .name("fast-langgraph-store".into())
            .spawn(move || run(open(), receiver))
            .map_err(|e| Error::new(ErrorCode::Internal, format!("cannot start the store thread: {e}")))?;
        Ok(Worker { sender: Mutex::new(Some(sender)) })
    }

    pub fn read(&self, job: ReadJob<S, T>, done: Done<T>) {
        self.send(Request::Read(job, done));
    }

    /// A write in a transaction of its own, or in one shared with the writes queued beside it.
    /// Stores expose it typed (`StoreWorker::write`).
    pub(crate) fn write_tx(&self, job: TxJob<'static, T>, done: Done<T>) {
        self.send(Request::Write(job, done));
    }

    /// Closes the database after the calls already made; `done` runs once it is closed.
    pub fn close(&self, done: Done<T>) {
        let sender = self.sender.lock().unwrap_or_else(PoisonError::into_inner).take();
        match sender {
            Some(sender) => send_or_refuse(&sender, Request::Close(done)),
            // Closing twice is a no-op.
            None => done(Ok(T::default())),
        }
    }

    fn send(&self, request: Request<S, T>) {
        match self.sender.lock().unwrap_or_else(PoisonError::into_inner).as_ref() {
            Some(sender) => send_or_refuse(sender, request),
            None => refuse(request),
        }
    }
}

fn send_or_refuse<S, T>(sender: &Sender<Request<S, T>>, request: Request<S, T>) {
    // The thread only stops after a `Close`, which is always the last request sent.
    if let Err(mpsc::SendError(request)) = sender.send(request) {
        refuse(request);
    }
}

fn refuse<S, T>(request: Request<S, T>) {
    let done = match request {
        Request::Read(_, done) | Request::Write(_, done) | Request::Close(done) => done,
    };
    done(Err(Error::new(ErrorCode::Closed, "the store is closed")));
}

/// Marks the calling thread as batch work: it gets its full share of CPU, but waking it never
/// preempts the thread that woke it. The JS thread wakes this one at every call; on a machine with
/// few cores, the wake-up used to take the JS thread's CPU away in the middle of its work (about
/// 5x more involuntary context switches of the JS thread in the 500-step agent loop).
fn yield_to_the_caller() {
    #[cfg(target_os = "linux")]
    {
        let param = libc::sched_param { sched_priority: 0 };
        // Refused (a sandbox): the thread stays a normal one, which is only slower.
        unsafe { libc::sched_setscheduler(0, libc::SCHED_BATCH, &param) };
    }
}

fn run<S: Store, T: Default>(opened: Result<S>, receiver: Receiver<Request<S, T>>) {
    yield_to_the_caller();
    let store = match opened {
        Ok(store) => store,
        Err(err) => {
            for request in receiver {
                match request {
                    Request::Close(done) => return done(Ok(T::default())),
                    Request::Read(_, done) | Request::Write(_, done) => done(Err(err.clone())),
                }
            }
            return;
        }
    };
    let db = store.database();
    let mut next = None;
    // Ends when `close` was handled, or when the last sender is gone (the store was dropped).
    while let Some(request) = next.take().or_else(|| receiver.recv().ok()) {
        match request {
            Request::Read(job, done) => done(guard(|| job(&store))),
            Request::Write(job, done) => {
                let mut jobs = vec![job];
                let mut dones = vec![done];
                while jobs.len() < MAX_GROUP {
                    match receiver.try_recv() {
                        Ok(Request::Write(job, done)) => {
                            jobs.push(job);
                            dones.push(done);
                        }
                        Ok(other) => {
                            next = Some(other);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                let results = if jobs.len() == 1 {
                    let job = jobs.pop().expect("one job");
                    vec![guard(|| db.transact(job))]
                } else {
                    db.transact_group(jobs)
                };
                for (done, result) in dones.into_iter().zip(results) {
                    done(result);
                }
            }
            Request::Close(done) => return done(store.close().map(|()| T::default())),
        }
    }
}
