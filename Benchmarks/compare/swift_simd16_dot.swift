// The dot product as plain Swift SIMD16 code, timed over a 10k×384 catalogue. run-baselines.sh
// compiles it twice, for the default x86-64 target and with -target-cpu skylake-avx512,
// to compare against the runtime-dispatched C kernels, which need no build flag.
#if canImport(Glibc)
import Glibc
#endif

@inline(never)
func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Float {
    let pa = UnsafeRawPointer(a), pb = UnsafeRawPointer(b)
    var s0 = SIMD16<Float>(), s1 = SIMD16<Float>()
    var i = 0
    while i + 32 <= count {
        s0 += pa.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            * pb.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
        s1 += pa.loadUnaligned(fromByteOffset: (i + 16) * 4, as: SIMD16<Float>.self)
            * pb.loadUnaligned(fromByteOffset: (i + 16) * 4, as: SIMD16<Float>.self)
        i += 32
    }
    var sum = (s0 + s1).sum()
    while i < count {
        sum += a[i] * b[i]
        i += 1
    }
    return sum
}

let rows = 10_000, dim = 384
var rng = SystemRandomNumberGenerator()
let catalogue = (0..<rows * dim).map { _ in Float.random(in: -0.5..<0.5, using: &rng) }
let query = (0..<dim).map { _ in Float.random(in: -0.5..<0.5, using: &rng) }
var out = [Float](repeating: 0, count: rows)
let clock = ContinuousClock()
var runs = 0
let start = clock.now
while clock.now - start < .seconds(1) {
    catalogue.withUnsafeBufferPointer { m in
        query.withUnsafeBufferPointer { q in
            for r in 0..<rows { out[r] = dot(m.baseAddress! + r * dim, q.baseAddress!, dim) }
        }
    }
    runs += 1
}
let seconds = Double((clock.now - start).components.attoseconds) / 1e18 + Double((clock.now - start).components.seconds)
let label = CommandLine.arguments.dropFirst().first ?? ""
print("Swift SIMD16 \(label) dot 10k×384: \(Int(Double(rows * dim * 4 * runs) / seconds / 1e8) / 10) GB/s (\(out[rows / 2] == 0 ? "" : "ok"))")
