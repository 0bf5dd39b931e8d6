"""What `solara run sim.mesa_app` serves: Mesa's SolaraViz page of the model (:func:`sim.dashboard.mesa_page.page`)."""

from sim.dashboard.mesa_page import page

Page = page()
