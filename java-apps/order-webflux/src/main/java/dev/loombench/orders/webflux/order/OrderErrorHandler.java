package dev.loombench.orders.webflux.order;

import java.util.concurrent.TimeoutException;

import io.r2dbc.spi.R2dbcException;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.dao.DataAccessException;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.server.ServerWebInputException;

import dev.loombench.orders.domain.error.ApiError;
import dev.loombench.orders.domain.error.DownstreamFailedException;
import dev.loombench.orders.domain.error.InvalidRequestException;
import dev.loombench.orders.domain.error.OrderNotFoundException;
import dev.loombench.orders.webflux.OrderWebfluxApplication;

/**
 * Maps the domain's failures to the error bodies of design.md; the bodies themselves come from the domain. Covers
 * every controller of this application (orders, quotes, legacy customers), not actuator's.
 */
@RestControllerAdvice(basePackageClasses = OrderWebfluxApplication.class)
class OrderErrorHandler {

    private static final Log logger = LogFactory.getLog(OrderErrorHandler.class);

    @ExceptionHandler(InvalidRequestException.class)
    ResponseEntity<ApiError> invalidRequest(InvalidRequestException ex) {
        return body(ex.toApiError());
    }

    @ExceptionHandler(OrderNotFoundException.class)
    ResponseEntity<ApiError> notFound(OrderNotFoundException ex) {
        return body(ex.toApiError());
    }

    /** Debug only: under overload every request may fail this way, and a log line each would add load. */
    @ExceptionHandler(DownstreamFailedException.class)
    ResponseEntity<ApiError> downstreamFailed(DownstreamFailedException ex) {
        if (logger.isDebugEnabled()) {
            logger.debug(ex.getMessage(), ex.getCause());
        }
        return body(ex.toApiError());
    }

    /**
     * The database is unreachable or the R2DBC pool had no connection within max-acquire-time. DatabaseClient
     * wraps driver and pool errors in DataAccessException; the raw R2DBC and timeout types cover a failure that
     * escapes unwrapped. Only the database call can end with them here: downstream errors are already
     * DownstreamFailedException. Debug only, for the same reason as the 502.
     */
    @ExceptionHandler({ DataAccessException.class, R2dbcException.class, TimeoutException.class })
    ResponseEntity<ApiError> databaseUnavailable(Exception ex) {
        if (logger.isDebugEnabled()) {
            logger.debug("database unavailable", ex);
        }
        return body(ApiError.databaseUnavailable());
    }

    /** Spring's own 400s in the same shape as order-mvc gives them, instead of WebFlux's default error body. */
    @ExceptionHandler(ServerWebInputException.class)
    ResponseEntity<ApiError> springBadRequest(ServerWebInputException ex) {
        return body(ApiError.badRequest("invalid request", null));
    }

    private static ResponseEntity<ApiError> body(ApiError error) {
        return ResponseEntity.status(HttpStatus.valueOf(error.status()))
            .contentType(MediaType.APPLICATION_JSON)
            .body(error);
    }
}
