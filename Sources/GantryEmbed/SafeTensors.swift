import Foundation
import GantryIO
import GantryMath

/// A `.safetensors` file (Hugging Face), memory-mapped: an 8-byte little-endian header length,
/// a JSON header `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {…}}`, then
/// the tensor bytes. Every entry is validated against the file size before any tensor is read,
/// so a malformed file is a typed error, never an out-of-bounds read.
public final class SafeTensors: @unchecked Sendable {
    /// One tensor's description.
    public struct Entry: Sendable, Equatable {
        /// The element type as the header spells it: `F32`, `F16`, `BF16`, `F64`, `I64`, `I32`, `I16`,
        /// `I8`, `U8` or `BOOL` (only `F32` tensors are read as floats).
        public var dtype: String
        /// The dimensions, outermost first (row-major); its product times the dtype's width is the
        /// length of `range`, checked at load.
        public var shape: [Int]
        /// Byte range inside the data section.
        public var range: Range<Int>
    }

    /// The file the tensors are mapped from, named in errors.
    public let path: String
    /// Every tensor in the header by name (`__metadata__` excluded), validated against the file size.
    public let entries: [String: Entry]
    /// CRC-32C of the whole file: identifies the weights (hardware CRC, ~10 ms for 90 MB).
    public let checksum: UInt32
    private let mapping: UnsafeMutableRawPointer
    private let mappedBytes: Int
    /// The data section: in the mapping when it is 4-byte aligned (the writers pad the header
    /// to 8 bytes), else an aligned copy owned here.
    private let data: UnsafeRawPointer
    private let alignedCopy: UnsafeMutableRawPointer?

    /// Maps `path` read-only and validates its header. Immutable afterwards (safe to share).
    public init(path: String) throws(EmbedError) {
        self.path = path
        func bad(_ reason: String) -> EmbedError { .file(.malformed(path: path, reason: reason)) }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .file(.io(path: path, operation: "open it", reason: String(cString: strerror(errno)))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .file(.io(path: path, operation: "stat it", reason: String(cString: strerror(errno)))) }
        let size = Int(info.st_size)
        guard size >= 8 else { throw .file(.truncated(path: path, expectedBytes: 8, foundBytes: size)) }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw .file(.io(path: path, operation: "map it", reason: String(cString: strerror(errno))))
        }
        mapping = base
        mappedBytes = size
        var parsed = [String: Entry]()
        var start = 0
        do {
            // Compared as UInt64 first: a length field ≥ 2⁶³ must be an error, not a trap.
            let declaredLength = UInt64(littleEndian: base.loadUnaligned(as: UInt64.self))
            guard declaredLength <= UInt64(size - 8), declaredLength <= 100 << 20 else {
                throw FileFormatError.truncated(path: path, expectedBytes: 8 + Int(min(declaredLength, UInt64(Int.max - 8))), foundBytes: size)
            }
            let headerLength = Int(declaredLength)
            start = 8 + headerLength
            let header = Data(bytes: base + 8, count: headerLength)
            guard let json = try? JSONSerialization.jsonObject(with: header) as? [String: Any] else {
                throw FileFormatError.malformed(path: path, reason: "the header is not a JSON object")
            }
            let dataBytes = size - start
            for (name, value) in json where name != "__metadata__" {
                guard let fields = value as? [String: Any], let dtype = fields["dtype"] as? String,
                      let shape = fields["shape"] as? [Int], let offsets = fields["data_offsets"] as? [Int], offsets.count == 2
                else { throw FileFormatError.malformed(path: path, reason: "tensor \(name) has no dtype/shape/data_offsets") }
                guard let width = Self.byteWidth[dtype] else {
                    throw FileFormatError.malformed(path: path, reason: "tensor \(name) has unknown dtype \(dtype)")
                }
                guard shape.allSatisfy({ $0 >= 0 }), offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= dataBytes else {
                    throw FileFormatError.malformed(path: path, reason: "tensor \(name) lies outside the file (\(offsets), \(dataBytes) data bytes)")
                }
                var elements = 1
                for dim in shape {
                    let (product, overflow) = elements.multipliedReportingOverflow(by: dim)
                    guard !overflow else { throw FileFormatError.malformed(path: path, reason: "tensor \(name) shape overflows") }
                    elements = product
                }
                guard elements.multipliedReportingOverflow(by: width) == (offsets[1] - offsets[0], false) else {
                    throw FileFormatError.malformed(path: path, reason: "tensor \(name): shape \(shape) of \(dtype) needs \(elements * width) bytes, the offsets give \(offsets[1] - offsets[0])")
                }
                parsed[name] = Entry(dtype: dtype, shape: shape, range: offsets[0]..<offsets[1])
            }
        } catch let error as FileFormatError {
            munmap(base, size)
            throw .file(error)
        } catch {
            munmap(base, size)
            throw .file(.malformed(path: path, reason: "\(error)"))
        }
        entries = parsed
        // In 8 MB steps, each dropped from resident memory once summed: loading never holds the
        // whole file in RAM.
        var crc: UInt32 = 0
        let step = 8 << 20
        for offset in stride(from: 0, to: size, by: step) {
            let count = min(step, size - offset)
            crc = BinaryFile.checksum(UnsafeRawBufferPointer(start: base + offset, count: count), continuing: crc)
            madvise(base + offset, count, MADV_DONTNEED)
        }
        checksum = crc
        if start % 4 == 0 {
            data = UnsafeRawPointer(base + start)
            alignedCopy = nil
        } else {
            let copy = UnsafeMutableRawPointer.allocate(byteCount: max(size - start, 1), alignment: 64)
            copy.copyMemory(from: base + start, byteCount: size - start)
            data = UnsafeRawPointer(copy)
            alignedCopy = copy
        }
    }

    deinit {
        munmap(mapping, mappedBytes)
        alignedCopy?.deallocate()
    }

    /// Drops the mapped pages from this process's resident memory (they are clean file pages:
    /// touching them again reads them back from the page cache). For after the weights a caller
    /// needs in another layout have been copied out.
    public func releaseResidentPages() {
        madvise(mapping, mappedBytes, MADV_DONTNEED)
    }

    private static let byteWidth = ["F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1]

    /// The float32 tensor `name`, checked to have `shape`, as a buffer into the mapping: no copy,
    /// valid as long as this object lives. (Pages are read from disk when first touched.)
    public func floats(_ name: String, shape: [Int]) throws(EmbedError) -> UnsafeBufferPointer<Float> {
        guard let entry = entries[name] else { throw .tensor(name: name, reason: "not in \(path)") }
        guard entry.dtype == "F32" else { throw .tensor(name: name, reason: "dtype \(entry.dtype), expected F32") }
        guard entry.shape == shape else { throw .tensor(name: name, reason: "shape \(entry.shape), expected \(shape)") }
        let start = data + entry.range.lowerBound
        return UnsafeBufferPointer(start: start.assumingMemoryBound(to: Float.self), count: entry.range.count / 4)
    }
}
