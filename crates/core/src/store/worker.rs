//! One thread per store: it owns the connection and runs every call in the order it was made, so
//! a read always sees the writes issued before it. Writes that queue up while the thread is busy
//! are committed together (`CheckpointStore::write_group`).

use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Mutex, PoisonError};
use std::thread;

use super::write::{guard, WriteJob};
use super::{CheckpointStore, OpenOptions};
use crate::error::{Error, ErrorCode, Result};

/// Called on the store's thread with the outcome of a call.
pub type Done<T> = Box<dyn FnOnce(Result<T>) + Send>;
/// A read, given the open store.
pub type ReadJob<T> = Box<dyn FnOnce(&CheckpointStore) -> Result<T> + Send>;

/// The most writes one commit takes, so that the first of them is not held back for long.
const MAX_GROUP: usize = 64;

enum Request<T> {
    Read(ReadJob<T>, Done<T>),
    Write(WriteJob<'static, T>, Done<T>),
    Close(Done<T>),
}

pub struct StoreWorker<T> {
    /// `None` once `close` was called: later calls fail with `FLG_CLOSED` without queueing.
    sender: Mutex<Option<Sender<Request<T>>>>,
}

impl<T: Default + Send + 'static> StoreWorker<T> {
    /// Starts the thread, which opens the database first. If opening fails, every call reports
    /// that error.
    pub fn open(path: String, options: OpenOptions) -> Result<Self> {
        let (sender, receiver) = mpsc::channel();
        thread::Builder::new()
            .name("fast-langgraph-store".into())
            .spawn(move || run(CheckpointStore::open(&path, options), receiver))
            .map_err(|e| Error::new(ErrorCode::Internal, format!("cannot start the store thread: {e}")))?;
        Ok(StoreWorker { sender: Mutex::new(Some(sender)) })
    }

    pub fn read(&self, job: ReadJob<T>, done: Done<T>) {
        self.send(Request::Read(job, done));
    }

    pub fn write(&self, job: WriteJob<'static, T>, done: Done<T>) {
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

    fn send(&self, request: Request<T>) {
        match self.sender.lock().unwrap_or_else(PoisonError::into_inner).as_ref() {
            Some(sender) => send_or_refuse(sender, request),
            None => refuse(request),
        }
    }
}

fn send_or_refuse<T>(sender: &Sender<Request<T>>, request: Request<T>) {
    // The thread only stops after a `Close`, which is always the last request sent.
    if let Err(mpsc::SendError(request)) = sender.send(request) {
        refuse(request);
    }
}

fn refuse<T>(request: Request<T>) {
    let done = match request {
        Request::Read(_, done) | Request::Write(_, done) | Request::Close(done) => done,
    };
    done(Err(Error::new(ErrorCode::Closed, "the checkpointer is closed")));
}

fn run<T: Default>(opened: Result<CheckpointStore>, receiver: Receiver<Request<T>>) {
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
                    vec![guard(|| store.write(job))]
                } else {
                    store.write_group(jobs)
                };
                for (done, result) in dones.into_iter().zip(results) {
                    done(result);
                }
            }
            Request::Close(done) => return done(store.close().map(|()| T::default())),
        }
    }
}
