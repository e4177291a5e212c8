#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A dense, row-major float32 array that owns 64-byte-aligned memory.
///
/// The engine keeps activations in planned buffers (see `ActivationPlan` users) and passes raw
/// pointers to kernels; `Tensor` is the small safe wrapper around one such allocation.
public final class Tensor: @unchecked Sendable {
    public let shape: [Int]
    public let count: Int
    public let data: UnsafeMutablePointer<Float>
    /// Whether `data` is an anonymous mapping of its own (`zeroPagesOnFirstTouch`), not the allocator's.
    private let isMapped: Bool

    /// Zero-filled tensor of the given shape. `zeroPagesOnFirstTouch` (for large buffers allocated
    /// rarely and sized for the worst case, such as a KV cache): the tensor is its own anonymous
    /// mapping, whose pages the kernel hands out zeroed when first touched, so only the pages used
    /// cost anything; filling it with zeros would touch, and have the kernel clear, every page.
    /// Not for buffers allocated in a loop: each one would be mapped and cleared again.
    public init(shape: [Int], zeroPagesOnFirstTouch: Bool = false) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        self.shape = shape
        self.count = shape.reduce(1, *)
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        if zeroPagesOnFirstTouch,
           let mapped = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
           mapped != MAP_FAILED {
            isMapped = true
            data = mapped.bindMemory(to: Float.self, capacity: max(count, 1))
            return
        }
        isMapped = false
        let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        self.data = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        data.initialize(repeating: 0, count: max(count, 1))
    }

    public convenience init(shape: [Int], values: [Float]) {
        precondition(values.count == shape.reduce(1, *), "\(values.count) values for shape \(shape)")
        self.init(shape: shape)
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: values.count) }
    }

    public convenience init(shape: [Int], repeating value: Float) {
        self.init(shape: shape)
        data.update(repeating: value, count: count)
    }

    deinit {
        if isMapped { munmap(UnsafeMutableRawPointer(data), max(count, 1) * MemoryLayout<Float>.stride) }
        else { UnsafeMutableRawPointer(data).deallocate() }
    }

    public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: data, count: count) }
    public var array: [Float] { Array(buffer) }
    public var rank: Int { shape.count }

    public subscript(i: Int) -> Float {
        get { precondition(i >= 0 && i < count); return data[i] }
        set { precondition(i >= 0 && i < count); data[i] = newValue }
    }

    public func zero() { data.update(repeating: 0, count: count) }

    public func copy(from other: Tensor) {
        precondition(other.count == count, "copy: \(other.shape) into \(shape)")
        data.update(from: other.data, count: count)
    }

    public func clone() -> Tensor {
        let t = Tensor(shape: shape)
        t.copy(from: self)
        return t
    }

    /// Same memory viewed with another shape of equal element count.
    public func reshaped(_ newShape: [Int]) -> TensorView {
        precondition(newShape.reduce(1, *) == count, "reshape \(shape) -> \(newShape)")
        return TensorView(shape: newShape, data: data, owner: self)
    }
}

/// A non-owning view into a tensor's memory (keeps the owner alive).
public struct TensorView: @unchecked Sendable {
    public let shape: [Int]
    public let data: UnsafeMutablePointer<Float>
    let owner: AnyObject?
    public var count: Int { shape.reduce(1, *) }
    public init(shape: [Int], data: UnsafeMutablePointer<Float>, owner: AnyObject?) {
        self.shape = shape; self.data = data; self.owner = owner
    }
}
