//! The window locks when the desktop session locks: a stand-in logind on a private D-Bus bus (dbus-daemon) sends `Lock`, and the data with a passphrase locks.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use kintsugi_service::{NetOptions, SecretString, spawn_at};

const SESSION: &str = "/org/freedesktop/login1/session/test";

struct Manager;

#[zbus::interface(name = "org.freedesktop.login1.Manager")]
impl Manager {
    #[zbus(name = "GetSessionByPID")]
    fn get_session_by_pid(&self, _pid: u32) -> zbus::zvariant::OwnedObjectPath {
        SESSION.try_into().expect("object path")
    }
}

struct Session;

#[zbus::interface(name = "org.freedesktop.login1.Session")]
impl Session {
    #[zbus(signal)]
    async fn lock(emitter: &zbus::object_server::SignalEmitter<'_>) -> zbus::Result<()>;
}

/// A private bus, gone with the test.
struct Bus(Child);

impl Drop for Bus {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn private_bus() -> Option<(Bus, String)> {
    let mut child = Command::new("dbus-daemon")
        .args(["--session", "--nofork", "--print-address=1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let mut line = String::new();
    BufReader::new(child.stdout.take()?)
        .read_line(&mut line)
        .ok()?;
    Some((Bus(child), line.trim().to_owned()))
}

#[test]
fn a_session_lock_from_logind_locks_data_with_a_passphrase() {
    let Some((_bus, address)) = private_bus() else {
        // dbus-daemon is part of every desktop this follows; CI installs it.
        panic!("dbus-daemon is needed for this test (apt-get install dbus)");
    };
    // The one test in this binary: nothing else reads the environment meanwhile.
    unsafe { std::env::set_var("DBUS_SYSTEM_BUS_ADDRESS", &address) };
    let logind = zbus::block_on(async {
        zbus::connection::Builder::address(address.as_str())?
            .name("org.freedesktop.login1")?
            .serve_at("/org/freedesktop/login1", Manager)?
            .serve_at(SESSION, Session)?
            .build()
            .await
    })
    .expect("stand-in logind");

    let dir = tempfile::tempdir().unwrap();
    let handle = spawn_at(
        dir.path(),
        NetOptions {
            start: false,
            ..NetOptions::default()
        },
    )
    .expect("open");
    handle.set_passphrase(SecretString::from("river stones and quiet mornings"));
    assert!(
        handle
            .wait_for(Duration::from_secs(30), |s| s.lock.has_passphrase)
            .is_some()
    );
    kintsugi_app::watch_session_lock(egui::Context::default(), handle.clone());

    // The watcher subscribes on its own thread: signal until it has heard one.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !handle.snapshot().lock.locked {
        assert!(
            Instant::now() < deadline,
            "the session lock did not lock the data"
        );
        zbus::block_on(async {
            let iface = logind
                .object_server()
                .interface::<_, Session>(SESSION)
                .await?;
            Session::lock(iface.signal_emitter()).await
        })
        .expect("send Lock");
        std::thread::sleep(Duration::from_millis(200));
    }
    handle.shutdown();
}
