package dev.loombench.orders.webflux;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

@SpringBootApplication
@ConfigurationPropertiesScan
public class OrderWebfluxApplication {

    public static void main(String[] args) {
        SpringApplication.run(OrderWebfluxApplication.class, args);
    }
}
