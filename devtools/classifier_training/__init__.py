"""Training and evaluating the intent model on its labelled corpus; the runtime classifier
(desk/classifier/) never imports this."""
