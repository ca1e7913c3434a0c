import Dispatch
import Foundation

extension Array where Element: Sendable {
    /// `transform` of every element, in order, computed by as many threads as the machine has
    /// cores, each taking one contiguous share of at least `minimumShare` elements (on the
    /// calling thread alone when there are fewer). For work that dominates an open — decoding
    /// and validating 100,000 stored tools — and has no shared state.
    func concurrentMap<T>(minimumShare: Int, _ transform: @Sendable (Element) -> T) -> [T] {
        let shares = Swift.min(ProcessInfo.processInfo.activeProcessorCount, count / Swift.max(1, minimumShare))
        guard shares > 1 else { return map(transform) }
        return withUnsafeBufferPointer { input in
            [T](unsafeUninitializedCapacity: count) { output, initialized in
                nonisolated(unsafe) let (input, output) = (input, output)
                DispatchQueue.concurrentPerform(iterations: shares) { share in
                    for i in input.count * share / shares..<input.count * (share + 1) / shares {
                        (output.baseAddress! + i).initialize(to: transform(input[i]))
                    }
                }
                initialized = input.count
            }
        }
    }
}
