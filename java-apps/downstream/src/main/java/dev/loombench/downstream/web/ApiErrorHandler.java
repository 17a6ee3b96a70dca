package dev.loombench.downstream.web;

import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.server.ServerWebInputException;

import dev.loombench.orders.domain.error.ApiError;
import dev.loombench.orders.domain.error.InvalidRequestException;

/** Same error shape as the order services, so a misconfigured harness call is readable in their logs. */
@RestControllerAdvice
class ApiErrorHandler {

    @ExceptionHandler(InvalidRequestException.class)
    ResponseEntity<ApiError> invalidRequest(InvalidRequestException ex) {
        return body(ex.toApiError());
    }

    @ExceptionHandler(ServerWebInputException.class)
    ResponseEntity<ApiError> unreadableInput(ServerWebInputException ex) {
        return body(ApiError.badRequest("invalid request", null));
    }

    private static ResponseEntity<ApiError> body(ApiError error) {
        return ResponseEntity.status(HttpStatus.valueOf(error.status()))
            .contentType(MediaType.APPLICATION_JSON)
            .body(error);
    }
}
