import Foundation
import GantryEmbed
import GantryMath

/// The MiniLM encoders that gantries opened without an embedder load for themselves, one per
/// model folder and precision, shared while any gantry holds it: a process serving many stores
/// (`gantry serve`'s tenants) loads each precision its stores were embedded at once, and drops it
/// when the last gantry using it goes.
enum SharedEncoders {
    private final class Held {
        weak var encoder: MiniLMEncoder?
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var held: [String: Held] = [:]

    /// The encoder of the model in `directory` (`ModelLocator.locate`) at `precision`: the one a
    /// gantry of this process already holds, or a new one (loaded under the lock, so that
    /// gantries opening at once load it once).
    static func encoder(directory: String?, precision: TransformerKernels.WeightPrecision) throws(EmbedError) -> MiniLMEncoder {
        let key = try ModelLocator.locate(directory) + "\u{0}" + precision.rawValue
        lock.lock()
        defer { lock.unlock() }
        if let encoder = held[key]?.encoder { return encoder }
        let encoder = try MiniLMEncoder(directory: directory, precision: precision)
        held = held.filter { $0.value.encoder != nil }
        let entry = Held()
        entry.encoder = encoder
        held[key] = entry
        return encoder
    }
}
