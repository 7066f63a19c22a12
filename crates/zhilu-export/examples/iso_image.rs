//! Writes an ISO 9660 + Joliet image of a directory tree: `cargo run -p zhilu-export --example
//! iso_image -- SRC_DIR OUT.iso [LABEL]`. For trying images with other tools; the export
//! command in `zhilu-cli` is the real entry point.

use std::fs;
use std::io::BufWriter;
use std::path::Path;

use zhilu_export::iso::{IsoFile, IsoOptions, write_image};

fn collect(root: &Path, dir: &Path, out: &mut Vec<IsoFile>) -> std::io::Result<()> {
    let mut entries: Vec<_> = fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let p = e.path();
        if e.file_type()?.is_dir() {
            collect(root, &p, out)?;
        } else {
            let rel = p
                .strip_prefix(root)
                .expect("walked under root")
                .to_string_lossy()
                .replace('\\', "/");
            out.push(IsoFile::from_path(rel, &p).map_err(std::io::Error::other)?);
        }
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, src, img, rest @ ..] = args.as_slice() else {
        return Err("usage: iso_image SRC_DIR OUT.iso [LABEL]".into());
    };
    let mut files = Vec::new();
    collect(Path::new(src), Path::new(src), &mut files)?;
    let options = IsoOptions {
        volume_label: rest.first().cloned().unwrap_or_else(|| "ZHILU".to_owned()),
        recorded_at_unix_seconds: 1_795_132_800,
    };
    let n = write_image(files, &options, BufWriter::new(fs::File::create(img)?))?;
    println!("{img}: {n} bytes");
    Ok(())
}
