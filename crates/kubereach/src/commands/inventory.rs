//! `kubereach inventory`.

use anyhow::Result;

use crate::args::{InventoryArgs, InventoryFormat};
use crate::exit::ExitStatus;
use crate::output;

pub fn run(args: &InventoryArgs) -> Result<ExitStatus> {
    let Some(loaded) = super::load(&args.source) else { return Ok(ExitStatus::Error) };
    let plugin = kubereach_core::cni::behaviour(&loaded.cluster, &args.plugin.overrides());
    let inventory = kubereach_core::inventory::inventory_on(&loaded.cluster, &plugin);
    match args.format {
        InventoryFormat::Human | InventoryFormat::Wide => {
            let wide = args.format == InventoryFormat::Wide;
            output::write_stdout(&output::inventory::human(&inventory, wide))?
        }
        InventoryFormat::Json => output::write_json(&inventory)?,
        InventoryFormat::Yaml => output::write_yaml(&inventory)?,
    }
    Ok(if loaded.failed { ExitStatus::Error } else { ExitStatus::Success })
}
