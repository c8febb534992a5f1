"""The researcher's dashboard: campaign progress, cost, workers, the paper's analyses as charts,
and model evaluation on the campaign's labels."""
