//! `tribench view`: serve runs as web pages until Ctrl-C, or write a static copy (`--export`).

use crate::args::ViewArgs;
use anyhow::{Context, Result};
use std::process::ExitCode;
use tribench_view::{ServeOptions, Site};

pub(crate) async fn view(a: ViewArgs) -> Result<ExitCode> {
    let site = Site::with_runs(a.paths.clone())?;
    if let Some(dest) = a.export {
        let to = dest.clone();
        let done = tokio::task::spawn_blocking(move || tribench_view::export(&site, &to))
            .await
            .context("export stopped")??;
        print!("{}", done.render(&dest));
        super::notes(&done.skipped_notes());
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
