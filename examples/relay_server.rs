//! The iroh project's relay server (`iroh-relay`, feature `server`) over plain HTTP, for the cross-network tests.
//!
//! `relay_server ADDR:PORT` serves until killed, and prints one line, `relay listening on
//! http://ADDR:PORT`, once it accepts connections. It is what `iroh-relay --dev` runs, with the
//! address chosen by the caller and no metrics server, so a test can start, kill and restart it
//! inside a network namespace of its own.

use std::net::SocketAddr;

use anyhow::{Context, Result};
use iroh_relay::server::{RelayConfig, Server, ServerConfig};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let addr: SocketAddr = std::env::args()
        .nth(1)
        .context("usage: relay_server ADDR:PORT")?
        .parse()
        .context("ADDR:PORT is not a socket address")?;
    let mut config = ServerConfig::default();
    config.relay = Some(RelayConfig::new(addr));
    // The default would open a second listener (port 9090) nobody in the tests reads.
    config.metrics_addr = None;
    let mut server = Server::spawn(config)
        .await
        .with_context(|| format!("could not start the relay on {addr}"))?;
    let bound = server
        .http_addr()
        .context("the relay has no HTTP listener")?;
    println!("relay listening on http://{bound}");
    // Ends only if the server's own tasks fail; the tests stop it with SIGKILL.
    server
        .join()
        .await
        .context("the relay stopped")?
        .context("the relay failed")?;
    Ok(())
}
