//! [`Store::read_async`] under a burst: one blocking thread at a time, however many ask.

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use super::test_store;
use crate::error::Result;

/// The threads of this process now (Linux: one entry per thread in /proc/self/task).
fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").map(|d| d.count()).unwrap_or(0)
}

/// While another caller holds the reader, 200 reads asked at once used to start 200 OS
/// threads, each blocked on the reader (a burst of webhooks or UI events did the same).
/// They now wait as tasks for their turn: the process gains at most one thread, and every
/// read still gets its answer once the reader is free.
#[test]
fn a_burst_of_async_reads_waits_as_tasks_not_threads() -> Result<()> {
    let (_dir, store) = test_store();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?;
    let (holding, held) = std::sync::mpsc::channel();
    let (release, released) = std::sync::mpsc::channel::<()>();
    let holder = {
        let store = store.clone();
        std::thread::spawn(move || {
            store.read(|_| {
                let _ = holding.send(());
                let _ = released.recv();
                Ok(())
            })
        })
    };
    held.recv().map_err(|e| crate::error::Error::Internal(e.to_string()))?;

    let answers = runtime.block_on(async {
        let before = threads();
        let mut reads: Vec<Pin<Box<dyn Future<Output = Result<i64>> + Send>>> = (0..200)
            .map(|i| {
                let store = store.clone();
                Box::pin(async move {
                    store.read_async(move |c| Ok(c.query_row("SELECT ?1", [i], |r| r.get::<_, i64>(0))?)).await
                }) as Pin<Box<dyn Future<Output = Result<i64>> + Send>>
            })
            .collect();
        // Each read is polled once: it asks for its turn (and, when it gets it, its thread).
        for read in &mut reads {
            std::future::poll_fn(|cx| {
                assert!(read.as_mut().poll(cx).is_pending(), "the reader is held: no read can finish yet");
                Poll::Ready(())
            })
            .await;
        }
        let grown = threads().saturating_sub(before);
        // Other tests of this binary may start a few threads meanwhile; 200 would be ours.
        assert!(grown <= 10, "200 waiting reads started {grown} threads");
        let _ = release.send(());
        let mut answers = Vec::new();
        for read in reads {
            answers.push(read.await?);
        }
        Ok::<_, crate::error::Error>(answers)
    })?;
    assert_eq!(answers, (0..200).collect::<Vec<i64>>(), "every read answered, each its own");
    holder.join().map_err(|_| crate::error::Error::Internal("holder panicked".into()))??;
    Ok(())
}
