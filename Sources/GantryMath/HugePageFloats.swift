#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A growable array of floats for data that is scanned whole, again and again — the rows of a
/// flat index. Unlike `[Float]`, a buffer of `hugePageBytes` or more is mapped from the operating
/// system on a 2 MiB boundary and, on Linux, advised for transparent huge pages *before* it is
/// first written, so the kernel backs it with 2 MiB pages where it can (`/sys/kernel/mm/
/// transparent_hugepage/enabled` set to `madvise` or `always`). A scan then misses the TLB once
/// per 2 MiB instead of once per 4 KiB: on the host measured, one core read 154 MB (100k rows of
/// 384 floats) at 33 GB/s from 2 MiB pages against 21 GB/s from 4 KiB pages
/// (Benchmarks/compare/run-flat-scan.sh).
/// Smaller buffers come from the allocator as usual.
///
/// A value type: copies share the buffer until one of them changes it (copy on write).
public struct HugePageFloats: RandomAccessCollection, MutableCollection, ContiguousFloats, Sendable {
    /// Buffers of this many bytes or more are mapped and advised for huge pages.
    public static let hugePageBytes = 2 << 20

    private var storage: Storage

    /// An empty array.
    public init() { storage = Storage(capacity: 0) }

    /// An array holding `floats`.
    public init(_ floats: some ContiguousFloats) {
        storage = Storage(capacity: floats.count)
        floats.withUnsafeBufferPointer { storage.append($0) }
    }

    /// An array of `count` floats written by `initializer`, which receives the whole uninitialised
    /// buffer and must fill it (or throw, leaving nothing behind).
    public init<E: Error>(count: Int, initializingWith initializer: (UnsafeMutableBufferPointer<Float>) throws(E) -> Void) throws(E) {
        precondition(count >= 0, "a negative count")
        storage = Storage(capacity: count)
        try initializer(UnsafeMutableBufferPointer(start: storage.base, count: count))
        storage.count = count
    }

    /// The index of the first float (0).
    public var startIndex: Int { 0 }
    /// The number of floats, one past the last index.
    public var endIndex: Int { storage.count }
    /// The number of floats held.
    public var count: Int { storage.count }
    /// Floats the buffer holds room for without growing.
    public var capacity: Int { storage.capacity }

    /// The float at `position`.
    public subscript(position: Int) -> Float {
        get {
            precondition(position >= 0 && position < storage.count, "index \(position) out of 0..<\(storage.count)")
            return storage.base![position]
        }
        set {
            precondition(position >= 0 && position < storage.count, "index \(position) out of 0..<\(storage.count)")
            makeUnique()
            storage.base![position] = newValue
        }
    }

    /// Calls `body` with the floats in place, valid only for the duration of the call.
    public func withUnsafeBufferPointer<R, E: Error>(_ body: (UnsafeBufferPointer<Float>) throws(E) -> R) throws(E) -> R {
        try body(UnsafeBufferPointer(start: storage.base, count: storage.count))
    }

    /// Calls `body` with the floats in place for writing (first copying them if the buffer is
    /// shared), valid only for the duration of the call.
    public mutating func withUnsafeMutableBufferPointer<R, E: Error>(_ body: (UnsafeMutableBufferPointer<Float>) throws(E) -> R) throws(E) -> R {
        makeUnique()
        return try body(UnsafeMutableBufferPointer(start: storage.base, count: storage.count))
    }

    /// The collection's contiguous storage, for algorithms that can use it (e.g. `Array.append`).
    public func withContiguousStorageIfAvailable<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R? {
        try withUnsafeBufferPointer(body)
    }

    /// Appends `floats`, growing the buffer geometrically.
    public mutating func append(contentsOf floats: some ContiguousFloats) {
        floats.withUnsafeBufferPointer { floats in
            reserve(storage.count + floats.count)
            storage.append(floats)
        }
    }

    /// Removes the floats in `range`, moving the ones after it down.
    public mutating func removeSubrange(_ range: Range<Int>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= storage.count, "range \(range) out of 0..<\(storage.count)")
        makeUnique()
        guard let base = storage.base, !range.isEmpty else { return }
        memmove(base + range.lowerBound, base + range.upperBound, (storage.count - range.upperBound) * MemoryLayout<Float>.stride)
        storage.count -= range.count
    }

    /// Makes room for `minimumCapacity` floats in a buffer this value owns alone.
    public mutating func reserveCapacity(_ minimumCapacity: Int) { reserve(minimumCapacity) }

    private mutating func reserve(_ needed: Int) {
        let unique = isKnownUniquelyReferenced(&storage)
        guard !unique || needed > storage.capacity else { return }
        let capacity = needed > storage.capacity ? Swift.max(needed, 2 * storage.capacity) : storage.capacity
        let grown = Storage(capacity: capacity)
        grown.append(UnsafeBufferPointer(start: storage.base, count: storage.count))
        storage = grown
    }

    private mutating func makeUnique() { reserve(storage.count) }

    /// The buffer: `capacity` floats at `base` (nil when 0), the first `count` initialised. Only
    /// ever changed while uniquely referenced, so values sharing it may cross threads.
    private final class Storage: @unchecked Sendable {
        let base: UnsafeMutablePointer<Float>?
        let capacity: Int
        var count = 0
        /// Bytes mapped with `mmap` (0: `base` came from the allocator).
        private let mappedBytes: Int

        init(capacity wanted: Int) {
            let bytes = wanted * MemoryLayout<Float>.stride
            if bytes >= HugePageFloats.hugePageBytes, let mapped = Self.mapHugePages(bytes) {
                (base, mappedBytes) = (mapped.base, mapped.bytes)
                capacity = mapped.bytes / MemoryLayout<Float>.stride
            } else {
                base = wanted > 0 ? .allocate(capacity: wanted) : nil
                (capacity, mappedBytes) = (wanted, 0)
            }
        }

        func append(_ floats: UnsafeBufferPointer<Float>) {
            guard let source = floats.baseAddress, floats.count > 0 else { return }
            precondition(count + floats.count <= capacity)
            (base! + count).initialize(from: source, count: floats.count)
            count += floats.count
        }

        /// Whole 2 MiB pages covering `bytes`, aligned to 2 MiB (mapped with a page to spare, the
        /// unaligned ends given back) and advised for huge pages; nil when the mapping fails.
        private static func mapHugePages(_ bytes: Int) -> (base: UnsafeMutablePointer<Float>, bytes: Int)? {
            let page = HugePageFloats.hugePageBytes
            let length = (bytes + page - 1) / page * page
            guard let raw = mmap(nil, length + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
                  raw != UnsafeMutableRawPointer(bitPattern: -1) else { return nil }
            let start = UInt(bitPattern: raw), aligned = (start + UInt(page) - 1) / UInt(page) * UInt(page)
            let head = Int(aligned - start)
            if head > 0 { munmap(raw, head) }
            if page - head > 0 { munmap(UnsafeMutableRawPointer(bitPattern: aligned + UInt(length)), page - head) }
            let base = UnsafeMutableRawPointer(bitPattern: aligned)!
            #if os(Linux)
            _ = madvise(base, length, MADV_HUGEPAGE)
            #endif
            return (base.bindMemory(to: Float.self, capacity: length / MemoryLayout<Float>.stride), length)
        }

        deinit {
            guard let base else { return }
            if mappedBytes > 0 { munmap(base, mappedBytes) } else { base.deallocate() }
        }
    }
}
