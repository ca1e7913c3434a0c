import Foundation
import GantryMath
import Testing

/// axpy and the AdamW step on every SIMD level, against their definitions in Double.
extension SIMDKernelTests {
    @Test func axpyAndAdamWMatchTheirDefinitions() {
        var data = TestData(seed: 41)
        forEachLevel { level in
            for count in edgeSizes {
                let x0 = data.vector(count), g = data.vector(count), m0 = data.vector(count)
                let v0 = data.vector(count).map { $0 * $0 }
                var y = x0
                g.withUnsafeBufferPointer { gb in y.withUnsafeMutableBufferPointer { SIMDKernels.axpy(0.5, gb, $0) } }
                #expect(zip(y, zip(x0, g)).allSatisfy { abs($0 - ($1.0 + 0.5 * $1.1)) <= 1e-6 }, "\(level) axpy n=\(count)")

                var (x, m, v) = (x0, m0, v0)
                let (lr, wd, b1, b2, eps, t) = (0.01, 0.1, 0.9, 0.999, 1e-8, 3.0)
                x.withUnsafeMutableBufferPointer { xb in
                    m.withUnsafeMutableBufferPointer { mb in
                        v.withUnsafeMutableBufferPointer { vb in
                            g.withUnsafeBufferPointer { gb in
                                SIMDKernels.adamW(xb, gradient: gb, first: mb, second: vb, learningRate: Float(lr), weightDecay: Float(wd),
                                                  beta1: Float(b1), beta2: Float(b2), epsilon: Float(eps),
                                                  corrections: (Float(1 - pow(b1, t)), Float(1 - pow(b2, t))))
                            }
                        }
                    }
                }
                for i in 0..<count {
                    let mi = b1 * Double(m0[i]) + (1 - b1) * Double(g[i])
                    let vi = b2 * Double(v0[i]) + (1 - b2) * Double(g[i]) * Double(g[i])
                    let xi = Double(x0[i]) - lr * ((mi / (1 - pow(b1, t))) / ((vi / (1 - pow(b2, t))).squareRoot() + eps) + wd * Double(x0[i]))
                    #expect(abs(Double(m[i]) - mi) <= 1e-5 && abs(Double(v[i]) - vi) <= 1e-5, "\(level) moments n=\(count)")
                    #expect(abs(Double(x[i]) - xi) <= 1e-5 * max(1, abs(xi)), "\(level) adamW n=\(count) i=\(i)")
                }
            }
        }
    }
}
