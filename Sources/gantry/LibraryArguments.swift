import ArgumentParser
import GantryAdapt
import GantryIndex

// The library's enums as option values, spelled as on the command line.

/// `--kind flat|hnsw` (`index build`) and `--index flat|hnsw` (`eval`).
extension IndexFile.Kind: ExpressibleByArgument {
    public init?(argument: String) {
        switch argument {
        case "flat": self = .flat
        case "hnsw": self = .hnsw
        default: return nil
        }
    }

    public static var allValueStrings: [String] { ["flat", "hnsw"] }
    public var defaultValueDescription: String { description }
}

/// `--metric cosine|ip`.
extension Metric: ExpressibleByArgument {
    public init?(argument: String) {
        switch argument {
        case "cosine": self = .cosine
        case "ip": self = .innerProduct
        default: return nil
        }
    }

    public static var allValueStrings: [String] { ["cosine", "ip"] }
    public var defaultValueDescription: String { self == .cosine ? "cosine" : "ip" }
}

/// `--side query|both`.
extension LowRankAdapter.Side: ExpressibleByArgument {}
