//! `tribench view`: serve runs as web pages until Ctrl-C, or write a static copy (`--export`).

use crate::args::ViewArgs;
use anyhow::{Context, Result};
use std::process::ExitCode;
use tribench_view::{ServeOptions, Site};

pub(crate) async fn view(a: ViewArgs) -> Result<ExitCode> {
    let site = Site::new(a.paths.clone())?;
    if site.runs().is_empty() {
        let where_ = a
            .paths
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>();
        anyhow::bail!(
            "no tribench run found under {} (a run directory holds manifest.json)",
            where_.join(", ")
        );
    }
    if let Some(dest) = &a.export {
        let site2 = site.clone();
        let dest2 = dest.clone();
        let done = tokio::task::spawn_blocking(move || tribench_view::export(&site2, &dest2))
            .await
            .context("export stopped")??;
        (done.skipped.iter()).for_each(|w| eprintln!("note: left out the unreadable run {w}"));
        println!(
            "wrote {} pages and {} run files for {} runs; open {}",
            done.pages,
            done.files,
            done.runs,
            dest.join("index.html").display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let opts = ServeOptions {
        host: a.host,
        port: a.port,
        token: a.token,
        ..ServeOptions::default()
    };
    let served = tribench_view::serve(site, opts).await?;
    println!("tribench view: {} (Ctrl-C stops)", served.url);
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = served.task => {}
    }
    Ok(ExitCode::SUCCESS)
}
