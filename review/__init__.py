"""Expert review and evaluation (Shankar et al. 2020; Vasudevan et al. 2022)."""
