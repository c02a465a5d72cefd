// swift-ctrader benchmarks: Codable structs equivalent to the envelopes, for the Foundation
// JSONDecoder / JSONEncoder baselines. Field for field what the samples carry; optional where
// the .proto field is optional, 64-bit integers as Int64 / UInt64.

struct SpotEnvelope: Codable {
    var clientMsgId: String?
    var payloadType: Int
    var payload: Spot?

    struct Spot: Codable {
        var payloadType: Int?
        var ctidTraderAccountId: Int64
        var symbolId: Int64
        var bid: UInt64?
        var ask: UInt64?
        var trendbar: [Trendbar]?
        var sessionClose: UInt64?
        var timestamp: Int64?
    }

    struct Trendbar: Codable {
        var volume: Int64
        var period: Int?
        var low: Int64?
        var deltaOpen: UInt64?
        var deltaClose: UInt64?
        var deltaHigh: UInt64?
        var utcTimestampInMinutes: UInt32?
    }
}

struct ExecutionEnvelope: Codable {
    var clientMsgId: String?
    var payloadType: Int
    var payload: Execution?

    struct Execution: Codable {
        var payloadType: Int?
        var ctidTraderAccountId: Int64
        var executionType: Int
        var position: Position?
        var order: Order?
        var deal: Deal?
        var errorCode: String?
        var isServerEvent: Bool?
    }

    struct TradeData: Codable {
        var symbolId: Int64
        var volume: Int64
        var tradeSide: Int
        var openTimestamp: Int64?
        var label: String?
        var guaranteedStopLoss: Bool?
        var comment: String?
        var measurementUnits: String?
        var closeTimestamp: UInt64?
    }

    struct Position: Codable {
        var positionId: Int64
        var tradeData: TradeData
        var positionStatus: Int
        var swap: Int64
        var price: Double?
        var stopLoss: Double?
        var takeProfit: Double?
        var utcLastUpdateTimestamp: Int64?
        var commission: Int64?
        var marginRate: Double?
        var mirroringCommission: Int64?
        var guaranteedStopLoss: Bool?
        var usedMargin: UInt64?
        var stopLossTriggerMethod: Int?
        var moneyDigits: UInt32?
        var trailingStopLoss: Bool?
    }

    struct Order: Codable {
        var orderId: Int64
        var tradeData: TradeData
        var orderType: Int
        var orderStatus: Int
        var expirationTimestamp: Int64?
        var executionPrice: Double?
        var executedVolume: Int64?
        var utcLastUpdateTimestamp: Int64?
        var baseSlippagePrice: Double?
        var slippageInPoints: Int64?
        var closingOrder: Bool?
        var limitPrice: Double?
        var stopPrice: Double?
        var stopLoss: Double?
        var takeProfit: Double?
        var clientOrderId: String?
        var timeInForce: Int?
        var positionId: Int64?
        var relativeStopLoss: Int64?
        var relativeTakeProfit: Int64?
        var isStopOut: Bool?
        var trailingStopLoss: Bool?
        var stopTriggerMethod: Int?
    }

    struct Deal: Codable {
        var dealId: Int64
        var orderId: Int64
        var positionId: Int64
        var volume: Int64
        var filledVolume: Int64
        var symbolId: Int64
        var createTimestamp: Int64
        var executionTimestamp: Int64
        var utcLastUpdateTimestamp: Int64?
        var executionPrice: Double?
        var tradeSide: Int
        var dealStatus: Int
        var marginRate: Double?
        var commission: Int64?
        var baseToUsdConversionRate: Double?
        var moneyDigits: UInt32?
    }
}

struct SymbolsListEnvelope: Codable {
    var clientMsgId: String?
    var payloadType: Int
    var payload: SymbolsList?

    struct SymbolsList: Codable {
        var payloadType: Int?
        var ctidTraderAccountId: Int64
        var symbol: [LightSymbol]?
    }

    struct LightSymbol: Codable {
        var symbolId: Int64
        var symbolName: String?
        var enabled: Bool?
        var baseAssetId: Int64?
        var quoteAssetId: Int64?
        var symbolCategoryId: Int64?
        var description: String?
        var sortingNumber: Double?
    }
}
