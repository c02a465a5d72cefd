// swift-ctrader: the trader's toolkit.

public import Foundation

/// Why a price or a volume cannot be sent for a symbol; each case names the rule, so that a
/// request is refused before it reaches the server.
public enum SymbolRuleError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The volume is below the symbol's `minVolume` (both in cents of units).
    case volumeBelowMinimum(volume: Int64, minimum: Int64)
    /// The volume is above the symbol's `maxVolume` (both in cents of units).
    case volumeAboveMaximum(volume: Int64, maximum: Int64)
    /// The volume is not a multiple of the symbol's `stepVolume` (both in cents of units).
    case volumeNotMultipleOfStep(volume: Int64, step: Int64)
    /// The volume is zero or negative.
    case volumeNotPositive(volume: Int64)
    /// The lots make a volume that is not a whole number of cents of units.
    case volumeNotWholeCents(lots: Decimal, lotSize: Int64)
    /// The symbol has no `lotSize`, so lots cannot be converted.
    case lotSizeUnknown
    /// The price has more decimal digits than the symbol's `digits`.
    case tooManyDigits(price: Decimal, digits: Int)
    /// The value does not fit the protocol's 64-bit integers.
    case outOfRange(value: Decimal)

    /// The broken rule, in words.
    public var description: String {
        switch self {
        case .volumeBelowMinimum(let volume, let minimum):
            "volume \(volume) is below the symbol's minimum volume \(minimum) (cents of units)"
        case .volumeAboveMaximum(let volume, let maximum):
            "volume \(volume) is above the symbol's maximum volume \(maximum) (cents of units)"
        case .volumeNotMultipleOfStep(let volume, let step):
            "volume \(volume) is not a multiple of the symbol's volume step \(step) (cents of units)"
        case .volumeNotPositive(let volume):
            "volume \(volume) must be positive"
        case .volumeNotWholeCents(let lots, let lotSize):
            "\(lots) lots of \(lotSize) cents is not a whole number of cents of units"
        case .lotSizeUnknown:
            "the symbol has no lot size, so lots cannot be converted to volume"
        case .tooManyDigits(let price, let digits):
            "price \(price) has more digits than the symbol's \(digits)"
        case .outOfRange(let value):
            "\(value) does not fit in the protocol's 64-bit integers"
        }
    }
}
