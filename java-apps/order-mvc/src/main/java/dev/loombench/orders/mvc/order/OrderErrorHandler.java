package dev.loombench.orders.mvc.order;

import java.sql.SQLException;

import com.zaxxer.hikari.pool.HikariPool;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.beans.TypeMismatchException;
import org.springframework.dao.DataAccessException;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.transaction.TransactionException;
import org.springframework.web.bind.ServletRequestBindingException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.method.annotation.HandlerMethodValidationException;

import dev.loombench.orders.domain.error.ApiError;
import dev.loombench.orders.domain.error.DownstreamFailedException;
import dev.loombench.orders.domain.error.InvalidRequestException;
import dev.loombench.orders.domain.error.OrderNotFoundException;

/** Every error of the order route leaves as an {@link ApiError} with an explicit JSON content type. */
@RestControllerAdvice
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

    @ExceptionHandler(DownstreamFailedException.class)
    ResponseEntity<ApiError> downstreamFailed(DownstreamFailedException ex) {
        return body(ex.toApiError());
    }

    /**
     * The database is unreachable or Hikari had no connection within connection-timeout. JdbcClient turns
     * Hikari's SQLTransientConnectionException into CannotGetJdbcConnectionException (a DataAccessException);
     * a raw SQLException or Hikari's PoolInitializationException (first use of a lazily started pool whose
     * database is down) covers what escapes untranslated; a TransactionException is the same failure met by the
     * write path's transaction (no connection to begin with, or the commit failed). Debug only: under overload
     * every request may fail this way, and a log line each would add load.
     */
    @ExceptionHandler({ DataAccessException.class, TransactionException.class, SQLException.class,
            HikariPool.PoolInitializationException.class })
    ResponseEntity<ApiError> databaseUnavailable(Exception ex) {
        if (logger.isDebugEnabled()) {
            logger.debug("database unavailable", ex);
        }
        return body(ApiError.databaseUnavailable());
    }

    /** Spring's own 400s (binding, conversion, unreadable input) in the same shape instead of its problem body. */
    @ExceptionHandler({ ServletRequestBindingException.class, TypeMismatchException.class,
            HttpMessageNotReadableException.class, HandlerMethodValidationException.class })
    ResponseEntity<ApiError> springBadRequest(Exception ex) {
        return body(ApiError.badRequest("invalid request", null));
    }

    private static ResponseEntity<ApiError> body(ApiError error) {
        return ResponseEntity.status(HttpStatus.valueOf(error.status()))
            .contentType(MediaType.APPLICATION_JSON)
            .body(error);
    }
}
