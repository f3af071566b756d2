//! Locks the app when the desktop session locks, where the OS says so: systemd-logind's `Lock` signal for this process's session, on the system bus.

use futures_lite::StreamExt;
use kintsugi_service::Handle;

const LOGIN1: &str = "org.freedesktop.login1";

/// Watches on a thread of its own for as long as the process runs. Where there is no system
/// bus or no logind (other systems, containers), it says so once in the log and stops: the lock
/// on demand and the idle lock still work.
pub fn watch(ctx: egui::Context, handle: Handle) {
    let spawned = std::thread::Builder::new()
        .name("kintsugi-session-lock".into())
        .spawn(move || {
            if let Err(e) = zbus::block_on(follow(&ctx, &handle)) {
                tracing::info!("the session lock is not followed: {e}");
            }
        });
    if let Err(e) = spawned {
        tracing::info!("the session lock is not followed: {e}");
    }
}

async fn follow(ctx: &egui::Context, handle: &Handle) -> zbus::Result<()> {
    let conn = zbus::Connection::system().await?;
    let manager = zbus::Proxy::new(
        &conn,
        LOGIN1,
        "/org/freedesktop/login1",
        "org.freedesktop.login1.Manager",
    )
    .await?;
    let session: zbus::zvariant::OwnedObjectPath = manager
        .call("GetSessionByPID", &(std::process::id(),))
        .await?;
    let session =
        zbus::Proxy::new(&conn, LOGIN1, session, "org.freedesktop.login1.Session").await?;
    let mut locks = session.receive_signal("Lock").await?;
    while locks.next().await.is_some() {
        // Only data with a passphrase can be locked; without one there is nothing to lock.
        if handle.snapshot().lock.has_passphrase {
            handle.flush();
            handle.lock_now();
            ctx.request_repaint();
        }
    }
    Ok(())
}
