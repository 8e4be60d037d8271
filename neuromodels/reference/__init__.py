"""Independent implementations that tests and studies compare the models against (optional extra
``reference``): NEST's synapse models driven by the same spike trains."""
