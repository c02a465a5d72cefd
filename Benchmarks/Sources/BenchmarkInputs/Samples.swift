// swift-ctrader benchmarks: the inputs every suite shares, built deterministically.

/// Realistic cTrader Open API JSON envelopes and frame payloads.
public enum Samples {
    /// A spot event as the server sends it: bid and ask changed, with a timestamp.
    public static let spotEventJSON = Array(
        #"{"payloadType":2131,"payload":{"ctidTraderAccountId":44322853,"symbolId":1,"bid":108477,"ask":108479,"timestamp":1732530000123}}"#
            .utf8
    )

    /// A spot event with a live M1 trendbar and the session close.
    public static let spotEventWithTrendbarJSON = Array(
        #"{"payloadType":2131,"payload":{"ctidTraderAccountId":44322853,"symbolId":1,"bid":108477,"ask":108479,"trendbar":[{"volume":1520,"period":1,"low":108401,"deltaOpen":12,"deltaClose":76,"deltaHigh":91,"utcTimestampInMinutes":28875500}],"sessionClose":108210,"timestamp":1732530000123}}"#
            .utf8
    )

    /// An execution event for a filled market order: order, position and deal.
    public static let executionEventJSON = Array(
        #"{"clientMsgId":"cm_1732530000_42","payloadType":2126,"payload":{"ctidTraderAccountId":44322853,"executionType":3,"position":{"positionId":298474632,"tradeData":{"symbolId":1,"volume":100000,"tradeSide":1,"openTimestamp":1732530000123,"label":"bench","guaranteedStopLoss":false},"positionStatus":1,"swap":0,"price":1.08479,"utcLastUpdateTimestamp":1732530000130,"commission":-300,"marginRate":1.08479,"mirroringCommission":0,"guaranteedStopLoss":false,"usedMargin":3616,"moneyDigits":2},"order":{"orderId":517623908,"tradeData":{"symbolId":1,"volume":100000,"tradeSide":1,"openTimestamp":1732530000120,"label":"bench","guaranteedStopLoss":false},"orderType":1,"orderStatus":2,"executionPrice":1.08479,"executedVolume":100000,"utcLastUpdateTimestamp":1732530000130,"closingOrder":false,"clientOrderId":"ord-42","timeInForce":3,"positionId":298474632},"deal":{"dealId":412553129,"orderId":517623908,"positionId":298474632,"volume":100000,"filledVolume":100000,"symbolId":1,"createTimestamp":1732530000121,"executionTimestamp":1732530000130,"utcLastUpdateTimestamp":1732530000130,"executionPrice":1.08479,"tradeSide":1,"dealStatus":2,"marginRate":1.08479,"commission":-300,"baseToUsdConversionRate":1.08479,"moneyDigits":2},"isServerEvent":false}}"#
            .utf8
    )

    /// `count` spot events with varying prices and times, as a server streams them.
    public static func spotEventStream(count: Int) -> [[UInt8]] {
        var generator = SplitMix64(seed: 0x5EED)
        var bid = 108_477
        var time = 1_732_530_000_123
        return (0..<count).map { index in
            bid += Int(generator.next() % 7) - 3
            time += Int(generator.next() % 250)
            let symbol = 1 + index % 5
            let text =
                #"{"payloadType":2131,"payload":{"ctidTraderAccountId":44322853,"symbolId":\#(symbol),"bid":\#(bid),"ask":\#(bid + 2),"timestamp":\#(time)}}"#
            return Array(text.utf8)
        }
    }

    /// A ProtoOASymbolsListRes with `count` light symbols: the largest routine response.
    public static func symbolsListJSON(count: Int = 1000) -> [UInt8] {
        let currencies = ["EUR", "USD", "GBP", "JPY", "CHF", "AUD", "CAD", "NZD", "SEK", "NOK", "XAU", "XAG"]
        var text =
            #"{"clientMsgId":"cm_symbols","payloadType":2115,"payload":{"ctidTraderAccountId":44322853,"symbol":["#
        for index in 0..<count {
            let base = currencies[index % currencies.count]
            let quote = currencies[(index / currencies.count + index + 1) % currencies.count]
            if index > 0 { text += "," }
            text +=
                #"{"symbolId":\#(index + 1),"symbolName":"\#(base)\#(quote)\#(index >= 144 ? ".\(index)" : "")","enabled":\#(index % 17 != 0),"baseAssetId":\#(index % currencies.count + 1),"quoteAssetId":\#((index + 1) % currencies.count + 1),"symbolCategoryId":\#(index % 9 + 1),"description":"\#(base) vs \#(quote) (\#(index))","sortingNumber":\#(index * 10 + 5).0}"#
        }
        text += "]}}"
        return Array(text.utf8)
    }

    /// `count` bytes of JSON-looking ASCII text: a frame payload of that size.
    public static func textPayload(count: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count + 200)
        var index = 0
        while bytes.count < count {
            bytes += Array(
                #"{"symbolId":\#(index % 40),"bid":\#(108_000 + index * 7 % 997),"ask":\#(108_002 + index * 7 % 997)},"#
                    .utf8)
            index += 1
        }
        return Array(bytes.prefix(count))
    }

    /// The payload sizes of the framing suites: 16 B, 200 B, 4 KiB, 64 KiB and 1 MiB.
    public static let frameSizes: [(name: String, bytes: Int)] = [
        ("16B", 16), ("200B", 200), ("4KiB", 4 << 10), ("64KiB", 64 << 10), ("1MiB", 1 << 20),
    ]
}

/// A small deterministic generator (SplitMix64), so inputs are the same on every run.
public struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
