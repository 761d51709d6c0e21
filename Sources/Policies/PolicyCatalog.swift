import Contract
import Daemon
import Dashboards
import Deliveries
import HTTPLite
import Notifications
import Payments
import Redis
import RedisAdapters
import Stores

/// Every policy daemon of the platform, named once. `baedal-worker` runs them from here,
/// `baedalctl trim` learns from here which groups read each stream, and a test holds
/// `scripts/run.sh` and `ops/systemd/baedal.target` to this list.
public enum PolicyCatalog {
    public static let daemons: [PolicyDaemon] = [
        PolicyDaemon(name: StoreInbox.name, summary: "puts every placed order on its store's board; rejects, as the platform, those its store does not answer in time",
                     groups: [.init(name: StoreInbox.name, streams: [.order, .deadlines])], deadlines: true) { context in
            [StoreInbox.policy(keys: context.keys, orders: context.orders, acceptTimeoutSeconds: context.environment.acceptTimeoutSeconds,
                               logger: context.logger, now: epochMilliseconds)]
        },
        PolicyDaemon(name: PaymentRefund.name,
                     summary: "refunds cancelled and rejected orders, settles unanswered charges, follows the gateway's own cancels",
                     groups: [.init(name: PaymentRefund.name, streams: [.order, .store, .paymentVoids, .payment])],
                     settings: [.init("BAEDAL_PAYMENT_URL", default: "http://127.0.0.1:8081", "payment-refund: the payment gateway (http://)")]
        ) { context throws(BaedalEnvironment.Invalid) in
            let url = context.setting("BAEDAL_PAYMENT_URL") ?? "http://127.0.0.1:8081"
            guard HTTPLite.split(url) != nil else {
                throw BaedalEnvironment.Invalid(description: "BAEDAL_PAYMENT_URL must be an http:// URL, got '\(url)'")
            }
            let redis = RedisPool(configuration: context.redis, size: 1, logger: context.logger)
            let keySpace = context.environment.keySpace
            return [PaymentRefund.policy(keys: context.keys, gateway: LitePaymentGateway(baseURL: url),
                                         orders: context.orders(redis), voids: RedisPaymentVoids(keySpace: keySpace, redis: redis),
                                         logger: context.logger, now: epochMilliseconds)]
        },
        PolicyDaemon(name: DeliveryDispatch.name, summary: "opens and cancels deliveries, keeps the riders' boards, flags cooked orders no rider picks in time",
                     groups: [.init(name: DeliveryDispatch.name, streams: [.order, .store, .delivery, .deadlines])], deadlines: true) { context in
            [DeliveryDispatch.policy(keys: context.keys, orders: context.orders, now: epochMilliseconds)]
        },
        PolicyDaemon(name: CustomerNotifier.name, summary: "writes one message per status change to the customer's inbox (and webhook), and one when the food will be late",
                     groups: [.init(name: CustomerNotifier.name, streams: [.order, .store, .delivery, .deadlines]),
                              .init(name: WebhookSender.name, streams: [.notifyWebhook])],
                     settings: [.init("BAEDAL_NOTIFY_WEBHOOK", default: "none",
                                      "notification: also POST each message to this http:// URL (retried, dead-lettered in the end)"),
                                .init("BAEDAL_SLIP_NOTICE_S", default: "600",
                                      "notification: tell the customer when the food will arrive this much later than they were last told (1 to 86400)")]
        ) { context throws(BaedalEnvironment.Invalid) in
            let slipSeconds = try BaedalEnvironment.positive("BAEDAL_SLIP_NOTICE_S", context.variables, default: 600, max: 86_400)
            let redis = RedisPool(configuration: context.redis, size: 1, logger: context.logger)
            let slips = DeliverySlips(keys: context.keys, book: RedisPromiseBook(keys: context.keys, redis: redis, orders: context.orders(redis)),
                                      slipSeconds: slipSeconds, now: epochMilliseconds)
            guard let webhook = context.setting("BAEDAL_NOTIFY_WEBHOOK") else {
                return [CustomerNotifier.policy(keys: context.keys, webhook: false, slips: slips)]
            }
            guard HTTPLite.split(webhook) != nil else {
                throw BaedalEnvironment.Invalid(description: "BAEDAL_NOTIFY_WEBHOOK must be an http:// URL (use a local TLS proxy for https), got '\(webhook)'")
            }
            return [CustomerNotifier.policy(keys: context.keys, webhook: true, slips: slips),
                    WebhookSender.policy(webhook: HTTPLiteWebhook(url: webhook), logger: context.logger)]
        },
        PolicyDaemon(name: Projector.name, summary: "keeps the dashboards, my page and the cooking queues",
                     groups: [.init(name: Projector.name, streams: [.order, .store, .delivery])]) { context in
            [Projector.policy(keys: context.keys)]
        },
    ]

    public static var names: [String] { daemons.map(\.name) }

    public static func daemon(named name: String) -> PolicyDaemon? { daemons.first { $0.name == name } }

    /// The groups that read each stream: what must have joined a stream before any of it is trimmed.
    public static var readers: [StreamName: [String]] {
        var readers: [StreamName: [String]] = [:]
        for daemon in daemons {
            for group in daemon.groups {
                for stream in group.streams { readers[stream, default: []].append(group.name) }
            }
        }
        return readers
    }
}
