// swift-ctrader: a bounded FIFO whose overflow policy is a plain value. Not API (see Locking.swift).

/// What a ``SingleConsumerBuffer`` does with a push that finds it holding `limit` elements.
///
/// A value: no locks, no tasks, so every policy is testable on its own.
public indirect enum OverflowPolicy<Element> {
    /// The element is refused (``PushResult/full``): the producer waits for room and pushes again.
    case backpressure
    /// The oldest buffered element for which `evictable` holds is removed to make room; when none
    /// is, the new element is dropped (``PushResult/dropped``).
    case dropOldest(evictable: @Sendable (Element) -> Bool)
    /// When an element with the same key is buffered, `merge(&buffered, newer)` folds the newer
    /// one into it, in the buffered element's place. Otherwise, when `compact` is true, buffered
    /// elements of equal keys are first merged the same way (each into the oldest of its key) to
    /// make room; if there is still none, `otherwise` decides. A `nil` key never coalesces.
    case coalesce(
        key: @Sendable (Element) -> AnyHashable?,
        merge: @Sendable (_ buffered: inout Element, _ newer: Element) -> Void,
        compact: Bool,
        otherwise: OverflowPolicy<Element>
    )
    /// The element is refused and the push reports ``PushResult/failed``; the owner decides what
    /// failing means (end the stream, drop the connection).
    case fail

    /// Drops the oldest element to make room.
    public static var dropOldest: OverflowPolicy { .dropOldest(evictable: { _ in true }) }
}

/// What a push did.
public enum PushResult: Equatable, Sendable {
    /// Appended at the end.
    case appended
    /// Merged into a buffered element of the same key (or appended after merging buffered ones).
    case coalesced
    /// Appended after the oldest evictable element was removed.
    case droppedOldest
    /// The buffer was full and held nothing evictable: the new element was dropped.
    case dropped
    /// Full; the element was not taken (``OverflowPolicy/backpressure``).
    case full
    /// Full; the element was not taken and the policy says this is a failure.
    case failed
}

/// A bounded first-in first-out buffer for one consumer, whose overflow behaviour is an
/// ``OverflowPolicy``. A value type: the async wrapper (``AsyncSingleConsumerBuffer``) or an owner's
/// lock guards it.
///
/// Storage is an array with a moving head, so pushing and popping allocate nothing once the array
/// has grown to the buffer's working size.
public struct SingleConsumerBuffer<Element> {
    /// The most elements ``push(_:)`` keeps (``pushIgnoringLimit(_:)`` may exceed it).
    public let limit: Int
    /// What a push into a full buffer does.
    public let policy: OverflowPolicy<Element>

    private var items: [Element] = []
    private var head = 0

    /// An empty buffer of at most `limit` (at least 1) elements.
    public init(limit: Int, policy: OverflowPolicy<Element>) {
        self.limit = max(1, limit)
        self.policy = policy
    }

    /// The number of buffered elements.
    public var count: Int { items.count - head }

    /// Whether nothing is buffered.
    public var isEmpty: Bool { head == items.count }

    /// Whether a push would meet the overflow policy.
    public var isFull: Bool { count >= limit }

    /// The buffered elements, oldest first.
    public var elements: ArraySlice<Element> { items[head...] }

    /// Offers `element`; the policy decides when the buffer is full.
    public mutating func push(_ element: Element) -> PushResult {
        if count < limit {
            items.append(element)
            return .appended
        }
        return overflow(element, policy)
    }

    /// Appends `element` whatever the limit (for control items and markers that must not be lost).
    public mutating func pushIgnoringLimit(_ element: Element) {
        items.append(element)
    }

    /// Removes and returns the oldest element.
    public mutating func pop() -> Element? {
        guard head < items.count else { return nil }
        let element = items[head]
        head += 1
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 64 && head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        return element
    }

    /// Removes every element.
    public mutating func removeAll() {
        items.removeAll()
        head = 0
    }

    private mutating func overflow(_ element: Element, _ policy: OverflowPolicy<Element>) -> PushResult {
        switch policy {
        case .backpressure:
            return .full
        case .fail:
            return .failed
        case .dropOldest(let evictable):
            guard let index = items[head...].firstIndex(where: evictable) else { return .dropped }
            items.remove(at: index)
            items.append(element)
            return .droppedOldest
        case .coalesce(let key, let merge, let compact, let otherwise):
            if let newKey = key(element),
                let index = items[head...].firstIndex(where: { key($0) == newKey })
            {
                merge(&items[index], element)
                return .coalesced
            }
            if compact && self.compact(key: key, merge: merge) && count < limit {
                items.append(element)
                return .coalesced
            }
            return overflow(element, otherwise)
        }
    }

    /// Merges buffered elements of equal keys into the oldest of each key; whether any went.
    private mutating func compact(
        key: (Element) -> AnyHashable?,
        merge: (inout Element, Element) -> Void
    ) -> Bool {
        var kept: [Element] = []
        kept.reserveCapacity(count)
        var firstOfKey: [AnyHashable: Int] = [:]
        for element in items[head...] {
            if let elementKey = key(element) {
                if let index = firstOfKey[elementKey] {
                    merge(&kept[index], element)
                    continue
                }
                firstOfKey[elementKey] = kept.count
            }
            kept.append(element)
        }
        guard kept.count < count else { return false }
        items = kept
        head = 0
        return true
    }
}

extension SingleConsumerBuffer: Sendable where Element: Sendable {}
extension OverflowPolicy: Sendable {}
