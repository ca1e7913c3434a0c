import Foundation
import GantryMath

/// AdamW (Loshchilov & Hutter): Adam moments, bias correction, decoupled weight decay. Offset
/// rows are updated only when their tool is in the batch (lazy, like sparse Adam), and only the
/// rows `learnsOffset` marks.
struct AdamW {
    var learningRate: Float
    let weightDecay: Float
    let beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8
    var step = 0
    /// First and second moments of up, down and the offsets.
    var up: Moments, down: Moments, offsets: Moments
    var offsetSteps: [Int]
    /// Per tool row: whether its offset is learned. A tool that no training query names (as
    /// correct, or as explicitly wrong) keeps a zero offset: drawn only as a hard or random
    /// negative, its offset would learn nothing but to move away from every query, burying the
    /// tool on the queries that do need it (a tool registered after the feedback was given, or
    /// one nobody asked for yet).
    let learnsOffset: [Bool]

    struct Moments {
        var first: [Float], second: [Float]
        init(_ count: Int) {
            first = [Float](repeating: 0, count: count)
            second = first
        }
    }

    init(learningRate: Float, weightDecay: Float, parameters p: AdapterParameters, learnsOffset: [Bool]) {
        self.learningRate = learningRate
        self.weightDecay = weightDecay
        up = Moments(p.up.values.count)
        down = Moments(p.down.values.count)
        offsets = Moments(p.offsets?.values.count ?? 0)
        offsetSteps = Array(repeating: 0, count: p.offsets?.rows ?? 0)
        precondition(p.offsets == nil || learnsOffset.count == p.offsets!.rows)
        self.learnsOffset = learnsOffset
    }

    mutating func step(_ p: inout AdapterParameters, _ g: TripletObjective.Gradients) {
        step += 1
        let t = step
        let settings = (learningRate, weightDecay, beta1, beta2, epsilon)
        g.up.withUnsafeBufferPointer { gradient in
            p.up.withUnsafeMutableBufferPointer { Self.update($0, gradient, at: 0, &up, t: t, settings) }
        }
        g.down.withUnsafeBufferPointer { gradient in
            p.down.withUnsafeMutableBufferPointer { Self.update($0, gradient, at: 0, &down, t: t, settings) }
        }
        guard let rows = g.offsets, p.offsets != nil else { return }
        let d = rows.cols
        rows.withUnsafeBufferPointer { gradients in
            p.offsets!.withUnsafeMutableBufferPointer { parameters in
                for (slot, tool) in g.offsetRows.enumerated() where learnsOffset[tool] {
                    offsetSteps[tool] += 1
                    Self.update(parameters, UnsafeBufferPointer(rebasing: gradients[slot * d..<(slot + 1) * d]), at: tool * d,
                                &offsets, t: offsetSteps[tool], settings)
                }
            }
        }
    }

    /// Updates `x[start ..< start + g.count]` in place. (Static, so that passing a moment array
    /// inout does not also hold `self` and force a copy of it.)
    private static func update(_ x: UnsafeMutableBufferPointer<Float>, _ g: UnsafeBufferPointer<Float>, at start: Int,
                               _ moments: inout Moments, t: Int, _ settings: (Float, Float, Float, Float, Float)) {
        let (lr, wd, b1, b2, eps) = settings
        let range = start..<start + g.count
        moments.first.withUnsafeMutableBufferPointer { m in
            moments.second.withUnsafeMutableBufferPointer { v in
                SIMDKernels.adamW(UnsafeMutableBufferPointer(rebasing: x[range]), gradient: g,
                                  first: UnsafeMutableBufferPointer(rebasing: m[range]), second: UnsafeMutableBufferPointer(rebasing: v[range]),
                                  learningRate: lr, weightDecay: wd, beta1: b1, beta2: b2, epsilon: eps,
                                  corrections: (1 - pow(b1, Float(t)), 1 - pow(b2, Float(t))))
            }
        }
    }
}
