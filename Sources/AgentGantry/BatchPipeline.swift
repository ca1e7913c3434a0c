import Dispatch
import Synchronization

/// Transforms inputs in batches on dispatch workers while the caller keeps producing them: an
/// open reads stored tools from SQLite on one thread while the other cores decode and validate
/// what it read, so the two take the time of the longer, not of both. One thread appends;
/// `finish()` waits for the workers and returns every output in input order.
struct BatchPipeline<Input: Sendable, Output: Sendable> {
    private let batchSize: Int
    private let transform: @Sendable (Input) -> Output
    private var batch = [Input]()
    private var batches = 0
    private let outputs = Outputs()
    private let group = DispatchGroup()

    /// Outputs of finished batches, by batch number.
    private final class Outputs: Sendable {
        let byBatch = Mutex<[Int: [Output]]>([:])
    }

    init(batchSize: Int, transform: @escaping @Sendable (Input) -> Output) {
        precondition(batchSize > 0)
        (self.batchSize, self.transform) = (batchSize, transform)
        batch.reserveCapacity(batchSize)
    }

    /// Queues `input`; a full batch goes to a worker.
    mutating func append(_ input: Input) {
        batch.append(input)
        if batch.count == batchSize { dispatchBatch() }
    }

    /// Every output, in the order of the inputs, once all are transformed.
    mutating func finish() -> [Output] {
        if !batch.isEmpty { dispatchBatch() }
        group.wait()
        return outputs.byBatch.withLock { byBatch in (0..<batches).flatMap { byBatch[$0]! } }
    }

    private mutating func dispatchBatch() {
        let (inputs, number, transform, outputs) = (batch, batches, transform, outputs)
        batch = []
        batch.reserveCapacity(batchSize)
        batches += 1
        DispatchQueue.global(qos: .userInitiated).async(group: group) {
            let transformed = inputs.map(transform)
            outputs.byBatch.withLock { $0[number] = transformed }
        }
    }
}
