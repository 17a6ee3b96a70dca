package dev.loombench.orders.mvc.testsupport;

import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** Test-only endpoint: reports whether Tomcat ran this request on a virtual thread. */
@RestController
class ThreadProbeController {

    @GetMapping("/test/thread")
    String thread() {
        return "virtual=" + Thread.currentThread().isVirtual();
    }
}
