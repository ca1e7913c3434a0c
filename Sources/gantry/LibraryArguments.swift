import ArgumentParser
import GantryAdapt
import GantryEval
import GantryIndex

// The library's enums as option values, spelled as on the command line.

/// `--kind flat|hnsw` (`index build`) and `--index flat|hnsw` (`eval`).
extension IndexFile.Kind: ExpressibleByArgument {
    /// The kind an option value names: `flat` or `hnsw`; nil (a usage error) for anything else.
    public init?(argument: String) {
        switch argument {
        case "flat": self = .flat
        case "hnsw": self = .hnsw
        default: return nil
        }
    }

    /// The values `--help` lists: `flat`, `hnsw`.
    public static var allValueStrings: [String] { ["flat", "hnsw"] }
    /// The default as `--help` shows it: `flat` or `hnsw`.
    public var defaultValueDescription: String { description }
}

/// `--metric cosine|ip`.
extension Metric: ExpressibleByArgument {
    /// The metric an option value names: `cosine`, or `ip` for the inner product; nil (a usage error)
    /// for anything else.
    public init?(argument: String) {
        switch argument {
        case "cosine": self = .cosine
        case "ip": self = .innerProduct
        default: return nil
        }
    }

    /// The values `--help` lists: `cosine`, `ip`.
    public static var allValueStrings: [String] { ["cosine", "ip"] }
    /// The default as `--help` shows it: `cosine` or `ip`.
    public var defaultValueDescription: String { self == .cosine ? "cosine" : "ip" }
}

/// `--side query|both`.
extension LowRankAdapter.Side: ExpressibleByArgument {}

/// `--retrieval dense|lexical` (`eval`).
extension EvaluationPipeline.Retrieval: ExpressibleByArgument {}
