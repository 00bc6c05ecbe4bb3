// placeholder removed when module lands
