import Backbone
