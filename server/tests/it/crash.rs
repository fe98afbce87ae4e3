//! Crash consistency: the server is killed (SIGKILL) in the middle of a burst of sign-ins, restarted on the same
//! SQLite file, and every live session must still have the login event that explains it, in a sound database.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::common::{client, encode, start, Call};

const PASSWORD: &str = "correct horse battery";
// About as many as the password-hashing workers and their queue take at once on 2 cores.
const ACCOUNTS: u32 = 6;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_killed_server_leaves_no_live_session_without_its_sign_in_event() {
    let mut server = start(&[]).await;
    for n in 0..ACCOUNTS {
        server.sign_up(&format!("crash{n}@example.com"), PASSWORD, client(n)).await;
    }
    for round in 0..10 {
        let addr = Arc::new(server.addr.clone());
        let stop = Arc::new(AtomicBool::new(false));
        // Each account signs in again and again from its own address (a fresh browser each time: a new row).
        let burst: Vec<_> = (0..ACCOUNTS)
            .map(|n| {
                let (stop, addr) = (stop.clone(), addr.clone());
                tokio::spawn(async move {
                    let form =
                        format!("email={}&password={}", encode(&format!("crash{n}@example.com")), encode(PASSWORD));
                    while !stop.load(Ordering::Relaxed) {
                        crate::common::send_to(&addr, Call::post("/api/demo/sign-in", &form).from(client(n))).await;
                    }
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(200 + 97 * round)).await;
        stop.store(true, Ordering::Relaxed);
        server.crash_and_restart().await;
        for task in burst {
            task.await.unwrap();
        }
    }
    let live = server.rows("SELECT COUNT(*) FROM sessions WHERE ended_at IS NULL").await;
    let orphans = server
        .rows(
            "SELECT COUNT(*) FROM sessions s WHERE s.ended_at IS NULL AND NOT EXISTS (
                 SELECT 1 FROM sessions_events e WHERE e.session_id = s.id AND e.kind = 'login')",
        )
        .await;
    assert_eq!(orphans[0][0], "0", "live sessions without their login event, of {} live", live[0][0]);
    assert!(live[0][0].parse::<u32>().unwrap() > ACCOUNTS, "the burst signed in: {live:?}");
    assert_eq!(server.rows("PRAGMA integrity_check").await, [["ok"]]);
}
