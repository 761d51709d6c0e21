import HTTPServer
import Hummingbird
import Identity
import Operations
import Orders
import Application
import Stores

/// The one place where the domain's refusals become HTTP: each typed error with its status and a
/// stable code (the contract's error table). Runs inside `ErrorMiddleware`.
struct DomainErrors<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as OrderError {
            throw APIError(error)
        } catch let error as StoreError {
            throw APIError(error)
        } catch let error as TokenError {
            throw APIError(error)
        } catch let error as PlaceOrderError {
            throw APIError(error)
        } catch let error as DeadLetterStore.Failure {
            throw APIError(error)
        }
    }
}

extension APIError {
    init(_ error: OrderError) {
        let message = error.description
        switch error {
        case .noItems, .tooManyLines: self.init(.badRequest, "bad_request", message)
        case .amountTooLarge: self.init(.unprocessableContent, "amount_too_large", message)
        case .unknownFood: self.init(.unprocessableContent, "unknown_food", message)
        case .quantityOutOfRange: self.init(.unprocessableContent, "invalid_quantity", message)
        case .orderNotFound: self.init(.notFound, "unknown_order", message)
        case .wrongRole, .notYourOrder, .notYourStore, .notYourDelivery: self.init(.forbidden, "forbidden", message)
        case .cannotCancelAfterCookingStarted: self.init(.conflict, "cannot_cancel_after_cooking_started", message)
        case .alreadyPicked: self.init(.conflict, "already_picked", message)
        case .invalidTransition: self.init(.conflict, "invalid_transition", message)
        case .contended: self = .unavailable("busy", message, retryAfterSeconds: 1)
        }
    }

    init(_ error: StoreError) {
        switch error {
        case .invalid(let problem): self.init(.badRequest, "bad_request", problem)
        case .notFound: self.init(.notFound, "unknown_store", error.description)
        case .notYourStore: self = .forbidden(error.description)
        }
    }

    init(_ error: DeadLetterStore.Failure) {
        switch error {
        case .notFound: self.init(.notFound, "not_found", error.description)
        case .notAnId: self.init(.badRequest, "bad_request", error.description)
        case .notADeadLetter: self.init(.unprocessableContent, "not_a_dead_letter", error.description)
        case .notReplayable: self.init(.conflict, "not_replayable", error.description)
        case .stale: self.init(.conflict, "stale", error.description)
        }
    }

    init(_ error: TokenError) {
        self = .unauthorized(error.description)
    }

    init(_ error: PlaceOrderError) {
        let message = error.description
        switch error {
        case .paymentDeclined: self.init(.init(code: 402, reasonPhrase: "Payment Required"), "payment_declined", message)
        case .paymentUnavailable(_, let retryAfter):
            self = .unavailable("payment_unavailable", message, retryAfterSeconds: Int((retryAfter / .seconds(1)).rounded(.up)))
        case .paymentVoided: self.init(.conflict, "payment_voided", message)
        case .idempotencyKeyReused: self.init(.conflict, "idempotency_key_reused", message)
        case .idempotencyKeyMismatch: self.init(.unprocessableContent, "idempotency_key_mismatch", message)
        }
    }
}
