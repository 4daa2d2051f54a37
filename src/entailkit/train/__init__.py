"""Fine-tuning of cross-encoders (NLI, relevance) and GLiClass; imports torch only when training starts."""
